package passwd

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Parameters of the hashes Hash makes.
const (
	Iterations = 1000
	SaltBytes  = 12
	KeyBytes   = 64
	// MaxIterations bounds what Verify accepts from a stored hash, so a
	// corrupt or hostile one cannot make a connect take minutes.
	MaxIterations = 1 << 20
)

// ErrFormat: a hash is not $7$ITER$SALT$KEY.
var ErrFormat = errors.New("passwd: not a $7$ (PBKDF2-SHA512) hash")

// Hash hashes password with a new random salt.
func Hash(password string) (string, error) {
	salt := make([]byte, SaltBytes)
	rand.Read(salt) // never fails (crypto/rand)
	return hashWith(password, salt, Iterations)
}

func hashWith(password string, salt []byte, iter int) (string, error) {
	key, err := pbkdf2.Key(sha512.New, password, salt, iter, KeyBytes)
	if err != nil {
		return "", fmt.Errorf("passwd: %w", err)
	}
	return "$7$" + strconv.Itoa(iter) + "$" + base64.StdEncoding.EncodeToString(salt) + "$" +
		base64.StdEncoding.EncodeToString(key), nil
}

// Verify reports whether password matches hash. A malformed hash is an
// error wrapping ErrFormat.
func Verify(hash, password string) (bool, error) {
	rest, ok := strings.CutPrefix(hash, "$7$")
	parts := strings.Split(rest, "$")
	if !ok || len(parts) != 3 {
		return false, ErrFormat
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil || iter < 1 || iter > MaxIterations {
		return false, fmt.Errorf("%w: iterations %q", ErrFormat, parts[0])
	}
	salt, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil || len(salt) == 0 {
		return false, fmt.Errorf("%w: salt", ErrFormat)
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("%w: key", ErrFormat)
	}
	got, err := pbkdf2.Key(sha512.New, password, salt, iter, len(want))
	if err != nil {
		return false, fmt.Errorf("passwd: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Random is a new password: 24 random bytes as unpadded base64url (32
// characters, printable ASCII, nothing a shell or a URL needs to escape).
func Random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Line is the password_file line of user with hash.
func Line(user, hash string) string { return user + ":" + hash }

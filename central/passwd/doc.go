// Package passwd makes and checks the password hashes of Mosquitto's
// password_file, in its PBKDF2-SHA512 form, so that one stored hash serves
// both evalhub's embedded broker and a Mosquitto fed by
// `evalhub broker-users`:
//
//	$7$<iterations>$<base64 salt>$<base64 key>
//
//	iterations  decimal, Iterations here (mosquitto_passwd writes 101)
//	salt        SaltBytes random bytes, standard base64 with padding
//	key         PBKDF2-HMAC-SHA512(password, salt, iterations), KeyBytes bytes
//
// A password file line is "username:" followed by the hash
// (mosquitto_passwd -H sha512-pbkdf2). The passwords evalhub hands out are
// random (Random, 192 bits), so the iteration count is not what keeps them
// safe; it stays low enough that a connect costs well under a millisecond.
package passwd

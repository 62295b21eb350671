// Package trust holds the keys and signatures of evalpad and the canonical
// bytes they cover. It does no network or store I/O; its only files are
// key files (GenerateKey, LoadKey).
//
// Keys: each pad has an ed25519 device key, made on the pad (GenerateKey,
// PKCS #8 PEM, mode 0600, never sent anywhere); the central has one of its
// own. Public keys travel as the standard base64 of their 32 bytes, and
// people compare them by Fingerprint ("SHA256:" + unpadded base64 of the
// key's SHA-256, as OpenSSH shows keys).
//
// What is signed is always a JSON object: the signature covers a domain
// string, then the canonical form (RFC 8785, JCS: Canonical) of the object
// without its "sig" member, and goes in "sig" as unpadded base64url:
//
//	sig = base64url( ed25519( key, domain ‖ JCS(object − "sig") ) )
//
//	domain                              signer   object
//	"evalpad-record-v1\n"               pad      a record (protocol v1)
//	"evalpad-enroll-v1\n"               pad      its enrollment request
//	"evalpad-down-v1\n" topic "\n"      central  a message on that down/ topic,
//	                                             with "exp" (RFC 3339); VerifyDown
//	                                             refuses it once exp passed or when
//	                                             exp is more than MaxLifetime ahead
//
// The domain keeps a signature to one use (a record's cannot pass for an
// enrollment), and the topic keeps a central message to one pad and one
// kind (an ack for one pad is no ack for another). Member order and
// spacing do not matter: a verifier canonicalizes what it received.
//
// # Test vector
//
// Key: ed25519 seed "evalpad trust test vector seed!!" (32 ASCII bytes);
// public key 3+x0VSAay/7Dkcj30MmryaZCXnwCOCj7799gy+6tAw0=. The record
//
//	{"v":1,"id":"0190a1b2-c3d4-7e5f-8a6b-000000000001","seq":1234,"kind":"rating",
//	 "device_id":"TA-ZWFW-W12","area_code":"370900","hall":"泰安市政务服务中心","window":"12",
//	 "session_id":"S-20261125-0001","mode":"single","cases":[{"project_no":"37090020261125000123",
//	 "task_code":"T1","task_name":"企业设立登记"}],"target":"","staff":{"id":"TA0123","name":"李四"},
//	 "stars":2,"good":false,"reasons":["213","214"],"channel":"4",
//	 "opened_at":"2026-11-25T10:02:40.000+08:00","at":"2026-11-25T10:03:12.123+08:00","flags":[],"sig":""}
//
// is signed over these bytes (one line; "evalpad-record-v1" and a newline first):
//
//	{"area_code":"370900","at":"2026-11-25T10:03:12.123+08:00","cases":[{"project_no":
//	"37090020261125000123","task_code":"T1","task_name":"企业设立登记"}],"channel":"4",
//	"device_id":"TA-ZWFW-W12","flags":[],"good":false,"hall":"泰安市政务服务中心",
//	"id":"0190a1b2-c3d4-7e5f-8a6b-000000000001","kind":"rating","mode":"single",
//	"opened_at":"2026-11-25T10:02:40.000+08:00","reasons":["213","214"],"seq":1234,
//	"session_id":"S-20261125-0001","staff":{"id":"TA0123","name":"李四"},"stars":2,
//	"target":"","v":1,"window":"12"}
//
// and its sig is
//
//	0mZBcyCPf-XeQCcvu_hcuCvGYd1l6n4xwjzr9xM4UFzbBQR4_AHwrUe3j3WU_82jDDbHibLrB6xB3Lwz2sv3Bw
//
// (checked in the tests, and against Python's cryptography package).
package trust

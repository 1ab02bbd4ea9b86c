// Package tc3 verifies and computes Tencent Cloud API 3.0 request
// signatures (TC3-HMAC-SHA256), as the official SDKs and tccli send them:
// the canonical request over the method, the signed headers and the SHA-256
// of the raw body, a credential scope of date/service/tc3_request, and a key
// derived from the secret key by HMAC over date, service and "tc3_request".
package tc3

package notification

import (
	"encoding/base64"
	"fmt"
)

// ReceiptTagName is the name of the SES message tag that carries an
// email's receipt id, so that SES's Send, Delivery, Bounce and Complaint
// events name the receipt even when Drive never learnt SES's message id
// (the call timed out after SES took the email).
const ReceiptTagName = "receipt"

// maxTagValue is SES's limit on a message tag's value (SES API reference,
// MessageTag: at most 256 characters, only ASCII letters, digits, _ and -).
const maxTagValue = 256

// ReceiptTag returns receipt id id as an SES message tag value: base64url
// without padding, whose alphabet (A–Z, a–z, 0–9, - and _) is exactly the
// characters SES allows in a tag. It returns an error when the id is too
// long for a tag (more than 192 bytes): no id Event.ReceiptID makes is.
func ReceiptTag(id string) (string, error) {
	v := base64.RawURLEncoding.EncodeToString([]byte(id))
	if len(v) > maxTagValue || id == "" {
		return "", fmt.Errorf("receipt id of %d bytes does not fit an SES message tag", len(id))
	}
	return v, nil
}

// ReceiptFromTag reads a receipt id from the value ReceiptTag made; ok is
// false for anything else.
func ReceiptFromTag(v string) (id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

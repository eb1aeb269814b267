package referral

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// The alphabet leaves out 0, 1, I and O, which are misheard and misread.
const refAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// NewReference returns a random reference like DRV-7K4M-Q9TX: short enough
// to read over the phone, and with 40 random bits so that one reference says
// nothing about another. Uniqueness is the store's job (it refuses a taken
// reference and the caller draws again).
func NewReference() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new reference: %w", err)
	}
	for i := range b {
		b[i] = refAlphabet[b[i]%32]
	}
	return fmt.Sprintf("DRV-%s-%s", b[:4], b[4:]), nil
}

// ParseReference returns the canonical form of a reference typed by a
// person (any case, spaces or dashes anywhere), and false when it cannot be
// a reference.
func ParseReference(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	s = strings.TrimPrefix(s, "DRV")
	if len(s) != 8 {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune(refAlphabet, c) {
			return "", false
		}
	}
	return "DRV-" + s[:4] + "-" + s[4:], true
}

// Package mailaddr checks that an email address is one Amazon SES can send
// to, and gives it in the ASCII form SES needs. It has no AWS dependencies:
// intake and the admin API check the addresses they take with it, and the
// email adapter (shared/email) checks again before calling SES, so that no
// address is accepted that SES would later refuse, leaving its email in
// the dead-letter queue where no redrive can send it.
//
// The rules, and their sources:
//   - SES does not support SMTPUTF8 (RFC 6531): the local part (before the
//     @) must be 7-bit ASCII, and a domain with other characters must be
//     sent in Punycode (SES API reference, Destination). The domain is
//     converted with IDNA (UTS #46, golang.org/x/net/idna), as browsers do.
//   - SES takes an address of the form UserName@[SubDomain.]Domain.TopLevelDomain
//     (SES API reference, SendEmail): a bare address, no display name,
//     comment, quoted local part or IP-address literal, and a domain with a
//     dot.
//   - RFC 5321 §4.5.3.1: a local part of at most 64 octets, a path (the
//     address in <>) of at most 256, so an address of at most 254; RFC
//     1035 §2.3.4: labels of at most 63 octets, a name of at most 253
//     characters written with dots.
//   - RFC 5322 §3.2.3: the local part is a dot-atom (letters, digits and
//     !#$%&'*+/=?^_`{|}~- in runs between single dots).
package mailaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// Limits of RFC 5321 and RFC 1035, in octets of the ASCII form.
const (
	MaxLocal   = 64
	MaxDomain  = 253
	MaxLabel   = 63
	MaxAddress = 254
)

// Error is an address SES cannot send to. Fix completes "Enter <the
// address> …" with what to change ("with 64 characters or fewer before
// the @"); it is empty when the text is not an email address at all, for
// the caller's own "in the correct format, like …".
type Error struct {
	Fix string
}

func (e *Error) Error() string {
	if e.Fix == "" {
		return "not an address SES can send to: not in the format name@example.com"
	}
	return "not an address SES can send to: write it " + e.Fix
}

// profile converts a domain as browsers look one up (UTS #46 mapping, the
// bidi rule, no leading or trailing hyphens, only letters, digits and
// hyphens), leaving lengths to ForSES, which names the one that is wrong.
var profile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckHyphens(true), idna.StrictDomainName(true), idna.Transitional(false))

// ForSES returns addr as SES takes it: the local part as typed and the
// domain in ASCII (Punycode for an internationalised one, lower case). It
// returns a *Error when SES cannot send to addr.
func ForSES(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", &Error{}
	}
	local, domain := addr[:at], addr[at+1:]
	if err := checkLocal(local); err != nil {
		return "", err
	}
	// UTS #46 maps invisible characters (a zero-width space, a soft
	// hyphen) to nothing: an address holding one is not what it shows.
	if strings.IndexFunc(domain, func(r rune) bool { return unicode.In(r, unicode.Cf, unicode.Cc) }) >= 0 {
		return "", &Error{}
	}
	ascii, err := profile.ToASCII(domain)
	if err != nil || ascii == "" {
		return "", &Error{}
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", &Error{} // no dot, or an IP address
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "", &Error{}
		case len(l) > MaxLabel:
			return "", &Error{Fix: fmt.Sprintf("with %d characters or fewer between each dot after the @", MaxLabel)}
		}
	}
	if len(ascii) > MaxDomain {
		return "", &Error{Fix: fmt.Sprintf("with %d characters or fewer after the @", MaxDomain)}
	}
	out := local + "@" + ascii
	if len(out) > MaxAddress {
		return "", &Error{Fix: fmt.Sprintf("in %d characters or fewer", MaxAddress)}
	}
	return out, nil
}

// atext are the characters of a dot-atom besides letters and digits.
const atext = "!#$%&'*+/=?^_`{|}~-"

func checkLocal(local string) error {
	if local == "" || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return &Error{}
	}
	for _, c := range local {
		switch {
		case c >= 0x80:
			return &Error{Fix: "with only English letters, numbers and symbols like . _ - + before the @: emails cannot be sent to other characters there"}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', strings.ContainsRune(atext, c):
		default:
			return &Error{} // a space, a quote, a control character…
		}
	}
	if len(local) > MaxLocal {
		return &Error{Fix: fmt.Sprintf("with %d characters or fewer before the @", MaxLocal)}
	}
	return nil
}

// Problem returns what to tell someone who typed addr when SES cannot send
// to it, in GOV.UK's words ("Enter the case manager's email address with
// 64 characters or fewer before the @", or "… in the correct format, like
// name@drive.example"), and "" when it can. what names the address,
// example shows a good one.
func Problem(addr, what, example string) string {
	_, err := ForSES(addr)
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Fix != "":
		return "Enter " + what + " " + e.Fix
	}
	return "Enter " + what + " in the correct format, like " + example
}

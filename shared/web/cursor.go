package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/signin"
)

// A list's page links carry where the next page starts (a cursor, such
// as DynamoDB's LastEvaluatedKey) in the query string. The cursor is
// sealed: its words, then a MAC over them keyed by the browser's session,
// so that a cursor not made by this service for this session (edited,
// made up, or another person's link) is refused, with a 400 page, rather
// than read. The MAC's key is the session cookie, which another site does
// not know; the signed-in person could compute it for their own session,
// so what a cursor may say is also checked where it is used (a list reads
// only the caller's own partition, whatever its cursor says).

// cursorMAC is the MAC of a cursor's words for the session.
func cursorMAC(session, words string) []byte {
	m := hmac.New(sha256.New, []byte("drive-cursor:"+session))
	m.Write([]byte(words))
	return m.Sum(nil)[:16]
}

// SealCursor returns the cursor words sealed for the request's session,
// for a page link's query string; "" without a session.
func SealCursor(req events.APIGatewayV2HTTPRequest, words string) string {
	session := signin.Cookie(req.Cookies, signin.SessionCookie)
	if session == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(words)) + "." + base64.RawURLEncoding.EncodeToString(cursorMAC(session, words))
}

// OpenCursor returns the words of a cursor that SealCursor made for the
// request's session; ok is false for anything else.
func OpenCursor(req events.APIGatewayV2HTTPRequest, sealed string) (words string, ok bool) {
	session := signin.Cookie(req.Cookies, signin.SessionCookie)
	enc, mac, found := strings.Cut(sealed, ".")
	if session == "" || !found || len(sealed) > 1024 {
		return "", false
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	got, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil || !hmac.Equal(got, cursorMAC(session, string(raw))) {
		return "", false
	}
	return string(raw), true
}

// Pagination is GOV.UK's pagination component for a list read a page at
// a time, whose length is not known: a link to the page before and the
// page after, where there is one ("" for none).
type Pagination struct {
	Previous, Next string
}

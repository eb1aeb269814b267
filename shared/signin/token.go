package signin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// clockSkew is how far the provider's clock may run ahead of ours for
// iat and nbf: a token is checked the moment after it is issued, at
// sign-in, and iat is whole seconds. API Gateway does not document one;
// go-oidc allows five minutes for nbf. Half a minute admits no token
// made to be used later.
const clockSkew = 30 * time.Second

// signingAlgs are the algorithms accepted: API Gateway's JWT authorizer
// supports only RSA-based ones.
var signingAlgs = []string{"RS256", "RS384", "RS512"}

// errToken* are why a token is refused before or after its signature is
// checked; each wraps ErrUnauthenticated where Verify returns it.
var (
	errNotCompact = errors.New("not a JWS in compact serialization")
	errHeader     = errors.New("the token's header is not accepted")
	errClaims     = errors.New("the token's claims are not accepted")
)

// header is the protected header of a compact JWS, read before the
// signature is checked, so that nothing else is given to the verifier.
type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  *string  `json:"typ"`
	Crit []string `json:"crit"`
}

// checkCompact checks that raw is a JWS in compact serialization (RFC
// 7515 §7.1: three base64url parts, without padding or white space, the
// first a JSON object) and that its header is one API Gateway's JWT
// authorizer accepts for an ID token: an RSA algorithm, a key id (the
// authorizer picks the key by kid), no critical extensions, and a typ, if
// any, of "JWT" (RFC 7519 §5.1), not an access token's "at+jwt" (RFC 9068
// §2.1) or anything else.
func checkCompact(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: %d parts", errNotCompact, len(parts))
	}
	for _, p := range parts {
		if p == "" || strings.TrimLeft(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return fmt.Errorf("%w: a part is not base64url", errNotCompact)
		}
		// Canonical too (RFC 4648 §3.5): a last character whose unused
		// bits are set decodes to the same bytes, so a signature could be
		// written 16 ways; one is accepted.
		if _, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
			return fmt.Errorf("%w: a part is not canonical base64url", errNotCompact)
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return fmt.Errorf("%w: header: %v", errNotCompact, err)
	}
	if err := exactNames(b); err != nil {
		return fmt.Errorf("%w: %v", errHeader, err)
	}
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("%w: header: %v", errNotCompact, err)
	}
	switch {
	case !slices.Contains(signingAlgs, h.Alg):
		return fmt.Errorf("%w: alg %q", errHeader, h.Alg)
	case h.Kid == "":
		return fmt.Errorf("%w: no kid", errHeader)
	case len(h.Crit) > 0:
		return fmt.Errorf("%w: crit %q", errHeader, h.Crit)
	case h.Typ != nil && !strings.EqualFold(*h.Typ, "JWT"):
		return fmt.Errorf("%w: typ %q", errHeader, *h.Typ)
	}
	return nil
}

// exactNames checks that the header object b names each parameter once
// and in its own case: Go's JSON decoding matches names regardless of
// case and keeps the last of two, so {"typ":"at+jwt","Typ":"JWT"} would
// read as typ JWT here while a JOSE library reads at+jwt (RFC 7515 §4:
// names are case-sensitive and must be unique).
func exactNames(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("header: not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("header: %v", err)
		}
		name, _ := t.(string)
		folded := strings.ToLower(name)
		if seen[folded] {
			return fmt.Errorf("header: %q given twice", name)
		}
		seen[folded] = true
		if folded != name && slices.Contains([]string{"alg", "kid", "typ", "crit"}, folded) {
			return fmt.Errorf("header: %q is not %q", name, folded)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("header: %v", err)
		}
	}
	return nil
}

// checkClaims checks the claims of a token whose signature, issuer and
// audience have been verified, as API Gateway's JWT authorizer and OpenID
// Connect Core 1.0 §3.1.3.7 do: exp a number after now; iat a number not
// after now; nbf, if any, a number not after now; azp, if any, this
// client, and present when the token names several audiences; sub a
// non-empty string. A date given as a string is refused: RFC 7519 §2
// makes it a number.
func checkClaims(claims map[string]any, clientID string, now time.Time) error {
	date := func(name string, required bool) (time.Time, bool, error) {
		v, ok := claims[name]
		if !ok {
			if required {
				return time.Time{}, false, fmt.Errorf("%w: no %s", errClaims, name)
			}
			return time.Time{}, false, nil
		}
		n, ok := v.(float64)
		if !ok {
			return time.Time{}, false, fmt.Errorf("%w: %s is not a number", errClaims, name)
		}
		return time.Unix(int64(n), 0), true, nil
	}
	exp, _, err := date("exp", true)
	if err != nil {
		return err
	}
	if !now.Before(exp) {
		return fmt.Errorf("%w: expired", errClaims)
	}
	iat, _, err := date("iat", true)
	if err != nil {
		return err
	}
	if iat.After(now.Add(clockSkew)) {
		return fmt.Errorf("%w: issued in the future", errClaims)
	}
	nbf, ok, err := date("nbf", false)
	if err != nil {
		return err
	}
	if ok && nbf.After(now.Add(clockSkew)) {
		return fmt.Errorf("%w: not valid yet", errClaims)
	}
	var aud []string
	switch a := claims["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("%w: aud is not strings", errClaims)
			}
			aud = append(aud, s)
		}
	default:
		return fmt.Errorf("%w: no aud", errClaims)
	}
	if !slices.Contains(aud, clientID) {
		return fmt.Errorf("%w: aud is another client's", errClaims)
	}
	azp, hasAzp := claims["azp"]
	switch {
	case hasAzp && azp != clientID:
		return fmt.Errorf("%w: azp is another client", errClaims)
	case !hasAzp && len(aud) > 1:
		return fmt.Errorf("%w: several audiences and no azp", errClaims)
	}
	if sub, ok := claims["sub"].(string); !ok || strings.TrimSpace(sub) == "" {
		return fmt.Errorf("%w: no sub", errClaims)
	}
	return nil
}

package signin_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/signin"
)

// testIssuer is an OpenID provider with one RSA key, "k1", that signs
// whatever header and claims a test gives it.
type testIssuer struct {
	url string
	key *rsa.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/keys",
			"authorization_endpoint": iss.url + "/authorize", "token_endpoint": iss.url + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

func part(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign returns the compact JWS of header and claims signed with RS256.
func (iss *testIssuer) sign(header, claims map[string]any) string {
	input := part(header) + "." + part(claims)
	sum := sha256.Sum256([]byte(input))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, iss.key, crypto.SHA256, sum[:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestVerifyIsStrict: one row per rule of API Gateway's JWT authorizer
// and OpenID Connect's ID token validation; each refused row differs
// from a genuine token in that rule only.
func TestVerifyIsStrict(t *testing.T) {
	iss := newTestIssuer(t)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	v := &signin.Verifier{Issuer: iss.url, ClientID: "drive", RolesClaim: "roles", Now: func() time.Time { return now }}
	header := func(change func(map[string]any)) map[string]any {
		h := map[string]any{"alg": "RS256", "kid": "k1"}
		if change != nil {
			change(h)
		}
		return h
	}
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{"iss": iss.url, "aud": "drive", "sub": "officer-1", "email": "sam.taylor@essex.police.example",
			"roles": []string{"officer"}, "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
		if change != nil {
			change(c)
		}
		return c
	}
	with := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	without := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	genuine := iss.sign(header(nil), claims(nil))
	parts := strings.Split(genuine, ".")
	// rawHeader signs a header written as JSON text, to say what a map
	// cannot: a name twice, or in another case.
	rawHeader := func(h string) string {
		input := base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + parts[1]
		sum := sha256.Sum256([]byte(input))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, iss.key, crypto.SHA256, sum[:])
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	// nonCanonical is the genuine token with its signature's last
	// character changed in the bits that encode nothing: the same bytes.
	nonCanonical := func() string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		sig := parts[2]
		last := strings.IndexByte(alphabet, sig[len(sig)-1])
		return parts[0] + "." + parts[1] + "." + sig[:len(sig)-1] + string(alphabet[last^1])
	}
	hmacSigned := func() string {
		h := part(header(with("alg", "HS256"))) + "." + parts[1]
		pub, _ := x509.MarshalPKIXPublicKey(&iss.key.PublicKey)
		mac := hmac.New(sha256.New, pub)
		mac.Write([]byte(h))
		return h + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	jsonSerialized := func(general bool) string {
		sig := map[string]any{"protected": parts[0], "signature": parts[2]}
		if general {
			b, _ := json.Marshal(map[string]any{"payload": parts[1], "signatures": []any{sig}})
			return string(b)
		}
		sig["payload"] = parts[1]
		b, _ := json.Marshal(sig)
		return string(b)
	}

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"a genuine token", genuine, true},
		{"typ JWT", iss.sign(header(with("typ", "JWT")), claims(nil)), true},
		{"azp naming this client", iss.sign(header(nil), claims(with("azp", "drive"))), true},
		{"several audiences, azp this client", iss.sign(header(nil), claims(func(c map[string]any) { c["aud"] = []string{"drive", "other"}; c["azp"] = "drive" })), true},
		{"iat within the clock skew", iss.sign(header(nil), claims(with("iat", now.Add(10*time.Second).Unix()))), true},

		{"JWS JSON serialization, flattened", jsonSerialized(false), false},
		{"JWS JSON serialization, general", jsonSerialized(true), false},
		{"compact with padding", parts[0] + "." + parts[1] + "." + parts[2] + "==", false},
		{"compact with white space", parts[0] + ". " + parts[1] + "." + parts[2], false},
		{"five parts (JWE)", genuine + ".a.b", false},
		{"empty", "", false},
		{"alg none, unsigned", part(header(with("alg", "none"))) + "." + parts[1] + ".", false},
		{"alg HS256 keyed with the public key", hmacSigned(), false},
		{"no kid", iss.sign(header(without("kid")), claims(nil)), false},
		{"a kid the provider does not publish", iss.sign(header(with("kid", "k2")), claims(nil)), false},
		{"typ at+jwt (an access token)", iss.sign(header(with("typ", "at+jwt")), claims(nil)), false},
		{"typ of something else", iss.sign(header(with("typ", "logout+jwt")), claims(nil)), false},
		{"a critical header extension", iss.sign(header(with("crit", []string{"exp"})), claims(nil)), false},
		{"a signature of other claims", parts[0] + "." + part(claims(with("sub", "admin-1"))) + "." + parts[2], false},
		{"another issuer", iss.sign(header(nil), claims(with("iss", "https://evil.example"))), false},
		{"another audience", iss.sign(header(nil), claims(with("aud", "other"))), false},
		{"several audiences, no azp", iss.sign(header(nil), claims(with("aud", []string{"drive", "other"}))), false},
		{"azp naming another client", iss.sign(header(nil), claims(with("azp", "other"))), false},
		{"expired", iss.sign(header(nil), claims(with("exp", now.Add(-time.Second).Unix()))), false},
		{"exp as a string", iss.sign(header(nil), claims(with("exp", "4102444800"))), false},
		{"no exp", iss.sign(header(nil), claims(without("exp"))), false},
		{"iat in the future", iss.sign(header(nil), claims(with("iat", now.Add(time.Hour).Unix()))), false},
		{"iat as a string", iss.sign(header(nil), claims(with("iat", "1764000000"))), false},
		{"no iat", iss.sign(header(nil), claims(without("iat"))), false},
		{"nbf in the future", iss.sign(header(nil), claims(with("nbf", now.Add(time.Hour).Unix()))), false},
		{"nbf as a string", iss.sign(header(nil), claims(with("nbf", "1764000000"))), false},
		{"no sub", iss.sign(header(nil), claims(without("sub"))), false},
		{"a blank sub", iss.sign(header(nil), claims(with("sub", " "))), false},
		{"typ at+jwt beside a Typ JWT", rawHeader(`{"alg":"RS256","kid":"k1","typ":"at+jwt","Typ":"JWT"}`), false},
		{"kid given twice", rawHeader(`{"alg":"RS256","kid":"k1","kid":"k1"}`), false},
		{"Alg in another case", rawHeader(`{"Alg":"RS256","alg":"RS256","kid":"k1"}`), false},
		{"a header written as JSON text, as the genuine one", rawHeader(`{"alg":"RS256","kid":"k1"}`), true},
		{"a signature's unused bits set (not canonical base64url)", nonCanonical(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, _, err := v.Verify(context.Background(), tt.token)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("got %v, want the token accepted", err)
			case tt.ok && id.Subject != "officer-1":
				t.Errorf("got subject %q, want officer-1", id.Subject)
			case !tt.ok && !errors.Is(err, signin.ErrUnauthenticated):
				t.Errorf("got %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// Package signin verifies the identity provider's tokens and signs people
// in to the browser pages: the one place tokens are checked in the
// functions (API Gateway's JWT authorizer checks the API's in AWS, and the
// local stack uses this package to do the same).
package signin

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/driveprogramme/referrals/shared/auth"
)

// ErrUnauthenticated: no token, or one that is not valid (serialization,
// header, signature, issuer, audience, azp, exp, iat, nbf, subject).
var ErrUnauthenticated = auth.ErrUnauthenticated

// Verifier checks ID tokens of the OpenID Connect provider for one client,
// the way API Gateway's JWT authorizer does, and no more loosely: compact
// serialization only, an RSA signature by the provider's key named by
// kid, typ (if any) JWT, issuer, audience and azp, and exp, iat and nbf
// as numbers that say the token is valid now. The provider's
// discovery document is read on first use, not at start, so that a
// function starts even when the provider is briefly unreachable.
type Verifier struct {
	Issuer     string
	ClientID   string
	RolesClaim string
	// HTTP fetches the discovery document and keys; nil uses a client
	// with a 5-second timeout.
	HTTP *http.Client
	// Now is the time tokens are checked at; nil is time.Now.
	Now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

// Provider returns the discovered provider, discovering it once.
func (v *Verifier) Provider(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.provider != nil {
		return v.provider, v.verifier, nil
	}
	client := v.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	// The key set outlives this request: it fetches keys with the context
	// given here, so it must not be the request's.
	kctx := oidc.ClientContext(context.WithoutCancel(ctx), client)
	p, err := oidc.NewProvider(kctx, v.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover identity provider %s: %w", v.Issuer, err)
	}
	v.provider = p
	v.verifier = p.Verifier(&oidc.Config{ClientID: v.ClientID, SupportedSigningAlgs: signingAlgs, Now: v.now})
	return v.provider, v.verifier, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks a raw ID token and returns who it names. It wraps
// ErrUnauthenticated when the token is not valid (see Verifier for every
// rule, and checkCompact and checkClaims for their sources), and returns
// another error when the provider cannot be reached.
func (v *Verifier) Verify(ctx context.Context, raw string) (auth.Identity, *oidc.IDToken, error) {
	if raw == "" {
		return auth.Identity{}, nil, ErrUnauthenticated
	}
	if err := checkCompact(raw); err != nil {
		return auth.Identity{}, nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	_, verifier, err := v.Provider(ctx)
	if err != nil {
		return auth.Identity{}, nil, err
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		return auth.Identity{}, nil, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return auth.Identity{}, nil, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	if err := checkClaims(claims, v.ClientID, v.now()); err != nil {
		return auth.Identity{}, nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	id, ok := auth.FromJSON(claims, v.RolesClaim)
	if !ok {
		return auth.Identity{}, nil, fmt.Errorf("%w: the token names no subject", ErrUnauthenticated)
	}
	return id, tok, nil
}

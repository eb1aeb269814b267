package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// ClientID is the development provider's client for Drive: a public
// client (PKCE, no secret) whose callbacks are on the loopback address,
// on any port.
const ClientID = "drive-local"

// DemoPassword is every demo user's password.
const DemoPassword = "drive-demo"

// User is a demo user of the development identity provider.
type User struct {
	Email string   `json:"email"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// idp is a development OpenID provider: zitadel/oidc's OpenID Certified
// provider library with its in-memory example storage and login page,
// holding the demo users. Its ID tokens carry the roles claim as Entra ID's
// do ("roles": [...]).
type idp struct {
	URL    string
	server *http.Server
}

// registerClient is done once per process: the example storage keeps
// clients in a package variable.
var registerClient sync.Once

func startIdP(users []User, rolesClaim string) (*idp, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("identity provider: %w", err)
	}
	issuer := "http://" + ln.Addr().String()
	registerClient.Do(func() {
		storage.RegisterClients(storage.NativeClient(ClientID, "http://127.0.0.1/auth/callback", "http://localhost/auth/callback"))
	})
	st := &demoStorage{Storage: storage.NewStorage(demoUsers(users)), users: users, rolesClaim: rolesClaim}
	router := exampleop.SetupServer(issuer, st, nil, false)
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog()}
	go func() { _ = srv.Serve(ln) }()
	return &idp{URL: issuer, server: srv}, nil
}

func (p *idp) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.server.Shutdown(ctx)
}

// demoStorage adds the name and roles of the demo users to their tokens.
type demoStorage struct {
	*storage.Storage
	users      []User
	rolesClaim string
}

func (s *demoStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	for _, u := range s.users {
		if u.Email == req.GetSubject() {
			// In the ID token itself, as Entra ID (optional claim email)
			// and Cognito put them, not only at the userinfo endpoint.
			info.Name, info.Email, info.EmailVerified = u.Name, u.Email, true
			info.AppendClaims(s.rolesClaim, u.Roles)
		}
	}
	return nil
}

// demoUsers is the example storage's user store: a user's id, username
// and email are all the email address.
type demoUsers []User

func (d demoUsers) find(s string) *storage.User {
	for _, u := range d {
		if strings.EqualFold(u.Email, s) {
			return &storage.User{ID: u.Email, Username: u.Email, Password: DemoPassword, FirstName: u.Name,
				Email: u.Email, EmailVerified: true}
		}
	}
	return nil
}

func (d demoUsers) GetUserByID(id string) *storage.User             { return d.find(id) }
func (d demoUsers) GetUserByUsername(username string) *storage.User { return d.find(username) }
func (d demoUsers) ExampleClientID() string                         { return ClientID }

// ReadUsers reads the demo users from a JSON file ({"users": [...]}).
func ReadUsers(path string) ([]User, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Users []User `json:"users"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("read users %s: %w", path, err)
	}
	return f.Users, nil
}

// SignIn signs in at the identity provider as a browser would (the
// authorization-code flow with PKCE, through its login page) and returns
// the ID token: what the API takes as its Bearer token. It is how the
// tests and `make token` get tokens.
func SignIn(ctx context.Context, issuer, email, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	const redirect = "http://127.0.0.1/auth/callback"
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			return http.ErrUseLastResponse // the code is for us, not a page to load
		}
		return nil
	}}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	provider, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	cfg := oauth2.Config{ClientID: ClientID, RedirectURL: redirect, Scopes: []string{"openid", "profile", "email"}, Endpoint: endpoint}
	verifier := oauth2.GenerateVerifier()
	resp, err := get(ctx, client, cfg.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		return "", fmt.Errorf("sign in: the provider showed %s, not its login page", resp.Request.URL)
	}
	form := url.Values{"id": {id}, "username": {email}, "password": {password}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, issuer+"/login/username", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := ""
	if loc != nil {
		code = loc.Query().Get("code")
	}
	if code == "" {
		return "", fmt.Errorf("sign in as %s: refused (wrong email or password?)", email)
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", errors.New("sign in: no ID token")
	}
	return raw, nil
}

func get(ctx context.Context, client *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// quietLog drops the net/http server's own error lines (a client gone
// mid-request), which say nothing useful here.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

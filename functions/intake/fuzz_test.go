package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

// The intake function's fuzz targets: a referral as JSON and as the form,
// from any bytes. Seeds are in testdata/fuzz/<target>; plain go test runs
// them, make fuzz explores.

var fuzzNow = time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)

// withBody is req with body, as API Gateway passes it: text as it is,
// anything else base64-encoded.
func withBody(req events.APIGatewayV2HTTPRequest, body []byte) events.APIGatewayV2HTTPRequest {
	req.Body, req.IsBase64Encoded = string(body), false
	if !utf8.Valid(body) {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return req
}

// clientAnswer fails t unless the answer and the logs are those of a
// request the server took or refused as the client's: a status in want,
// and nothing logged at ERROR.
func clientAnswer(t *testing.T, resp events.APIGatewayV2HTTPResponse, logs *bytes.Buffer, want ...int) {
	t.Helper()
	if !containsInt(want, resp.StatusCode) {
		t.Fatalf("got %d %.300s, want one of %v", resp.StatusCode, resp.Body, want)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("got an error logged for a client's request: %.500s", logs.String())
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// FuzzSubmit: any body POSTed to /referrals by an officer is accepted
// (202, stored and queued) or refused as the client's mistake (400, 413,
// 422), never a 5xx or an error logged; what is stored validates again.
func FuzzSubmit(f *testing.F) {
	raw, err := os.ReadFile("testdata/post-referral.json")
	if err != nil {
		f.Fatal(err)
	}
	var base events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &base); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var logs bytes.Buffer
		h, st, q := newHandler(&logs)
		resp, err := h.Handle(context.Background(), withBody(base, body))
		if err != nil {
			t.Fatalf("got %v, want an HTTP answer", err)
		}
		clientAnswer(t, resp, &logs, http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		if resp.StatusCode != http.StatusAccepted {
			if len(st.records) != 0 || len(q.Sent) != 0 {
				t.Fatalf("got %d stored and %d queued for a refused referral, want none", len(st.records), len(q.Sent))
			}
			return
		}
		for _, rec := range st.records {
			if errs := rec.Referral.Validate(fuzzNow); len(errs) > 0 {
				t.Fatalf("stored a referral that does not validate: %v", errs)
			}
		}
	})
}

// FuzzReferralJSON: the JSON referral as intake reads it (referral.Parse,
// then normalise with the phone numbers): parsed or refused as the
// client's mistake; normalising is idempotent; a referral that validates,
// written out as JSON and read again, is the same and validates again.
func FuzzReferralJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := referral.Parse(body)
		var fe referral.FieldErrors
		switch {
		case errors.As(err, &fe):
			fieldsNamed(t, fe)
			return
		case errors.Is(err, referral.ErrMalformed):
			return
		case err != nil:
			t.Fatalf("got %v (%T), want FieldErrors or ErrMalformed", err, err)
		}
		normalise(&r)
		twice, _ := referral.Parse(body)
		normalise(&twice)
		normalise(&twice)
		if !reflect.DeepEqual(r, twice) {
			t.Fatalf("normalise is not idempotent:\nonce:  %+v\ntwice: %+v", r, twice)
		}
		errs := r.Validate(fuzzNow)
		fieldsNamed(t, errs)
		if len(errs) > 0 {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := referral.Parse(out)
		if err != nil {
			t.Fatalf("a valid referral, written out, is refused: %v\n%s", err, out)
		}
		normalise(&back)
		if errs := back.Validate(fuzzNow); len(errs) > 0 {
			t.Fatalf("a valid referral, written out and read again, does not validate: %v\n%s", errs, out)
		}
		if again, _ := json.Marshal(back); !bytes.Equal(again, out) {
			t.Fatalf("got %s after a round trip, want %s", again, out)
		}
		if back.Fingerprint() != r.Fingerprint() {
			t.Fatalf("the fingerprint changed in a round trip")
		}
	})
}

// fieldsNamed fails t for a problem without a field or a message.
func fieldsNamed(t *testing.T, errs referral.FieldErrors) {
	t.Helper()
	for _, e := range errs {
		if e.Field == "" || e.Message == "" {
			t.Fatalf("got field error %+v, want a field and a message", e)
		}
	}
}

// FuzzForm: any form body POSTed to /referrals/new by a signed-in officer
// from the page is answered with a well-formed page or a redirect, never
// a 5xx or an error logged; the form's reading (fromForm) names a field
// for every problem, and normalising what it read is idempotent.
func FuzzForm(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		var logs bytes.Buffer
		h, st, _ := newHandler(&logs)
		h.signIn = &fakeSignIn{}
		st.staff = map[string]auth.Staff{}
		req := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /referrals/new", RawPath: "/referrals/new",
			Headers: map[string]string{"host": "abc123.execute-api.eu-west-2.amazonaws.com", "sec-fetch-site": "same-origin",
				"content-type": "application/x-www-form-urlencoded"},
			Cookies: []string{signin.SessionCookie + "=officer"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc123.execute-api.eu-west-2.amazonaws.com",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/referrals/new"}}}
		resp, err := h.Handle(context.Background(), withBody(req, []byte(body)))
		if err != nil {
			t.Fatalf("got %v, want an HTTP answer", err)
		}
		clientAnswer(t, resp, &logs, http.StatusOK, http.StatusSeeOther, http.StatusBadRequest, http.StatusConflict,
			http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
			for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
				t.Fatalf("answered %d with a faulty page: %s", resp.StatusCode, problem)
			}
		}
		v, _ := url.ParseQuery(body)
		r, formErrs := fromForm(v)
		fieldsNamed(t, formErrs)
		normalise(&r)
		twice, _ := fromForm(v)
		normalise(&twice)
		normalise(&twice)
		if !reflect.DeepEqual(r, twice) {
			t.Fatalf("normalise is not idempotent on the form's referral:\nonce:  %+v\ntwice: %+v", r, twice)
		}
		fieldsNamed(t, r.Validate(fuzzNow))
	})
}

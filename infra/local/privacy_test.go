package local_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

// distinctive personal details, found nowhere else in the tests, so that
// any of them in a log can only have come from this test's referrals.
var distinctive = map[string]string{
	"perpetrator's first name": "Zebedee", "perpetrator's last name": "Quillfeather", "perpetrator's alias": "Zeb Quill",
	"perpetrator's date of birth": "1979-12-31", "perpetrator's postcode": "ZE1 9QQ", "perpetrator's address": "17 Larkspur Mews",
	"perpetrator's town": "Wivenhoe", "perpetrator's phone": "07700 900417", "PNC ID": "79/4817263G",
	"victim's first name": "Philippa", "victim's last name": "Marchbank", "victim's date of birth": "1990-01-17",
	"contact method": "via her sister Ottilie", "IDVA's name": "Bartholomew Vine", "referrer's phone": "01632 960417",
	"reason": "brandished a crossbow", "crime reference": "42/987654/26",
	// The phones as stored (E.164), besides as typed.
	"perpetrator's phone, stored": "+447700900417", "referrer's phone, stored": "+441632960417",
}

// privateReferral is the example referral carrying the distinctive
// details instead of its own.
func privateReferral(t *testing.T, area string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(submission(t, area, nil), &m); err != nil {
		t.Fatal(err)
	}
	d := distinctive
	p := m["perpetrator"].(map[string]any)
	p["firstName"], p["lastName"], p["aliases"], p["dateOfBirth"] = d["perpetrator's first name"], d["perpetrator's last name"], []string{d["perpetrator's alias"]}, d["perpetrator's date of birth"]
	p["postcode"], p["addressLine1"], p["town"], p["phone"], p["pncId"] = d["perpetrator's postcode"], d["perpetrator's address"], d["perpetrator's town"], d["perpetrator's phone"], d["PNC ID"]
	v := m["victims"].([]any)[0].(map[string]any)
	v["firstName"], v["lastName"], v["dateOfBirth"], v["contactMethod"], v["idvaName"] = d["victim's first name"], d["victim's last name"], d["victim's date of birth"], d["contact method"], d["IDVA's name"]
	m["referrer"].(map[string]any)["phone"] = d["referrer's phone"]
	m["reason"], m["crimeReference"] = d["reason"], d["crime reference"]
	return m
}

// TestNoPersonalDataInLogs sends referrals full of distinctive personal
// details through the whole pipeline (the API and the form, eligibility,
// allocation, emails, the case's life), and wrong ones whose errors could
// echo what was typed (validation, the JSON decoder, unknown fields, a
// duplicate), then reads every line that every function, the local stack
// and the identity provider logged: none may hold any of the details.
func TestNoPersonalDataInLogs(t *testing.T) {
	serial(t)
	// Through the API, to allocation, both emails, accepted and closed.
	body, _ := json.Marshal(privateReferral(t, "privacy"))
	ref := submit(t, body)
	awaitStatus(t, ref, "allocated")
	awaitEmails(t, ref, 2)
	// The same perpetrator while the first is open: linked to it, and its
	// case manager told.
	if code, out := post(t, body, "application/json"); code != 202 || out["status"] != "linked" {
		t.Errorf("same perpetrator while open: got %d %v, want 202 linked", code, out)
	}
	cm := "cm1@privacy.drive.example"
	// The details are on the case page for its case manager and the
	// area's lead, and nowhere else; each reading is recorded.
	pageDetails := []privacytest.Detail{privacytest.Text("the perpetrator's last name", distinctive["perpetrator's last name"]),
		privacytest.Text("the contact method", distinctive["contact method"])}
	for who, shows := range map[string]bool{cm: true, lead("privacy"): true, officer: false, otherOfficer: false, "cm1@flow.drive.example": false, lead("flow"): false, admin: false} {
		for _, path := range []string{"/cases/" + ref, "/referrals/" + ref + "/status", "/"} {
			found := privacytest.Find(pageAs(t, who, path), pageDetails...)
			if want := shows && path == "/cases/"+ref; (len(found) > 0) != want {
				t.Errorf("%s as %s: got details %v, want them shown %v", path, who, found, want)
			}
		}
	}
	if views, earlier, err := stack.Store.Views(t.Context(), ref, 50); err != nil || len(views) != 2 || earlier != 0 {
		t.Errorf("views of %s: got %+v %v, want the case manager's and the lead's", ref, views, err)
	}
	if code, out := call(t, cm, "POST", "/cases/"+ref+"/accept", ""); code != 200 {
		t.Fatalf("accept: %d %v", code, out)
	}
	closing := `{"reason": "other", "note": "Closed after ` + distinctive["victim's first name"] + ` moved away"}`
	if code, out := call(t, cm, "POST", "/cases/"+ref+"/close", closing); code != 200 {
		t.Fatalf("close: %d %v", code, out)
	}
	// The same perpetrator again, once closed: a new referral.
	if code, _ := post(t, body, "application/json"); code != 202 && code != 409 {
		t.Errorf("same perpetrator again: got %d", code)
	}
	// Wrong in every way that could echo input.
	bad := privateReferral(t, "privacy")
	bad["perpetrator"].(map[string]any)["dateOfBirth"] = distinctive["perpetrator's first name"] + "-31-12"
	bad["referrer"].(map[string]any)["email"] = distinctive["perpetrator's last name"] + " at home"
	bad["victims"].([]any)[0].(map[string]any)["dashScore"] = distinctive["victim's last name"]
	badBody, _ := json.Marshal(bad)
	unknown := strings.Replace(string(body), `"reason"`, `"`+distinctive["perpetrator's town"]+`": 1, "reason"`, 1)
	for name, b := range map[string]string{
		"wrong values": string(badBody), "unknown field": unknown, "broken JSON": string(body[:len(body)/2]) + distinctive["victim's date of birth"],
	} {
		if code, _ := post(t, []byte(b), "application/json"); code < 400 || code >= 500 {
			t.Errorf("%s: got %d, want a 4xx", name, code)
		}
	}
	// Through the form: once wrong, once right.
	form := completeForm(t, "privacy", distinctive["perpetrator's last name"]+"-Form")
	form.Set("perpetrator.firstName", distinctive["perpetrator's first name"])
	form.Set("perpetrator.postcode", distinctive["perpetrator's postcode"])
	form.Set("victims[0].firstName", distinctive["victim's first name"])
	form.Set("victims[0].dashScore", distinctive["victim's last name"])
	if code, _, _ := postForm(t, form); code != 422 {
		t.Errorf("wrong form: got %d, want 422", code)
	}
	form.Set("victims[0].dashScore", "16")
	form.Set("perpetrator.pncId", "")
	code, h, _ := postForm(t, url.Values(form))
	if code != 303 {
		t.Fatalf("form: got %d, want 303", code)
	}
	formRef := strings.TrimSuffix(strings.TrimPrefix(h.Get("Location"), "/referrals/"), "/confirmation")
	awaitStatus(t, formRef, "allocated")
	awaitEmails(t, formRef, 2)
	// Declined with a note full of details: back to allocation (nobody
	// else in the area, so waitlisted), and the leads' email carries the
	// reason code only.
	declining := `{"reason": "other", "note": "Knows ` + distinctive["victim's first name"] + ` ` + distinctive["victim's last name"] + `"}`
	if code, out := call(t, cm, "POST", "/cases/"+formRef+"/decline", declining); code != 200 {
		t.Fatalf("decline: %d %v", code, out)
	}
	awaitStatus(t, formRef, "waitlisted")
	awaitQueuesEmpty(t)

	details := distinctiveDetails(t)
	lines := strings.Split(logs.String(), "\n")
	for _, f := range privacytest.Find(logs.String(), details...) {
		t.Errorf("a log line holds %s", f)
	}
	// The emails too: no personal details in any of them.
	for _, r := range []string{ref, formRef} {
		for _, e := range emailsAbout(t, r) {
			for _, f := range privacytest.Find(e.Subject+"\n"+e.Body+"\n"+e.HTML, details...) {
				t.Errorf("email %q holds %s", e.Subject, f)
			}
		}
	}
	declinedEmails := 0
	for _, e := range emailsAbout(t, formRef) {
		if strings.Contains(e.Subject, "declined") {
			declinedEmails++
			if !strings.Contains(e.Body, "another reason") {
				t.Errorf("the declined email says %q, want the reason in words", e.Body)
			}
		}
	}
	if declinedEmails != 1 {
		t.Errorf("got %d emails telling the lead of the decline, want 1", declinedEmails)
	}
	t.Logf("scanned %d log lines of every function, the local stack and the identity provider for %d personal details", len(lines), len(details))
}

// distinctiveDetails are the distinctive details as the privacy check
// looks for them: whole values, in every form they could be printed in.
func distinctiveDetails(t *testing.T) []privacytest.Detail {
	t.Helper()
	body, _ := json.Marshal(privateReferral(t, "privacy"))
	r, err := referral.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	details := append(privacytest.Referral(r), privacytest.Phone("the referrer's phone", distinctive["referrer's phone"]))
	for what, value := range distinctive {
		if !slices.ContainsFunc(details, func(d privacytest.Detail) bool { return slices.Contains(d.Forms, value) }) {
			t.Fatalf("the %s %q is not looked for", what, value)
		}
	}
	return details
}

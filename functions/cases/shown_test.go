package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

// section is the HTML of the page from the element with id from to the
// one with id to.
func section(t *testing.T, body, from, to string) string {
	t.Helper()
	i, j := strings.Index(body, `id="`+from+`"`), strings.Index(body, `id="`+to+`"`)
	if i < 0 || j < i {
		t.Fatalf("no section from %s to %s", from, to)
	}
	return body[i:j]
}

var tags = regexp.MustCompile(`<[^>]*>`)

// TestCasePageShowsWhatPeopleRead (the fresh tester's faults): a
// victim-survivor not safe to contact is "Do not contact", with no
// method anywhere; one whose safety is not known has no method shown
// either; the reason's line breaks are kept, escaped; phones are shown
// as people read them, not in E.164; and no stray space is left where a
// person has one name only.
func TestCasePageShowsWhatPeopleRead(t *testing.T) {
	tests := []struct {
		name   string
		change func(*referral.Referral)
		want   []string // in the page
		wantIn map[string][]string
		not    []string // nowhere in the page
	}{
		{"not safe to contact", func(r *referral.Referral) {
			r.Victims[0].SafeToContact, r.Victims[0].ContactMethod = bool_(false), "Text 07700 900999 after 6pm"
		}, nil, map[string][]string{"safety": {"Jane Roe: ", "Do not contact"}, "victim-1": {"Do not contact"}}, []string{"07700 900999", "after 6pm", "How to contact them"}},
		{"not known whether safe to contact", func(r *referral.Referral) {
			r.Victims[0].SafeToContact, r.Victims[0].ContactMethod = nil, "Text 07700 900999 after 6pm"
		}, nil, map[string][]string{"safety": {"not known whether it is safe", "Check with the referrer"}}, []string{"07700 900999", "How to contact them"}},
		{"safe to contact", nil, nil, map[string][]string{"safety": {"Jane Roe: safe to contact: Mobile after 6pm only"}, "victim-1": {"How to contact them", "Mobile after 6pm only"}},
			[]string{"Do not contact"}},
		{"the reason's line breaks", func(r *referral.Referral) {
			r.Reason = "Three incidents since June.\r\nThe last on 2 November.\n\nHe has <b>threatened</b> to kill her."
		}, []string{`<p class="govuk-body">Three incidents since June.<br>The last on 2 November.</p>`, `<p class="govuk-body">He has &lt;b&gt;threatened&lt;/b&gt; to kill her.</p>`}, nil, []string{"<b>threatened"}},
		// Every several-line free text keeps its breaks, escaped (fresh
		// tester of issue 14: how to contact a victim lost them).
		{"how to contact them, and the lawful basis, keep their line breaks", func(r *referral.Referral) {
			r.Victims[0].ContactMethod = "Mobile after 6pm only.\nNever <b>voicemail</b>."
			r.LawfulBasis = "Crime and Disorder Act 1998, s115.\nConsent not sought: risk."
		}, nil, map[string][]string{"safety": {"safe to contact: Mobile after 6pm only.<br>Never &lt;b&gt;voicemail&lt;/b&gt;."},
			"victim-1": {"Mobile after 6pm only.<br>Never &lt;b&gt;voicemail&lt;/b&gt;."}, "referral": {"Crime and Disorder Act 1998, s115.<br>Consent not sought: risk."}},
			[]string{"<b>voicemail"}},
		{"UK phones in national format, others international", func(r *referral.Referral) {
			r.Perpetrator.Phone, r.Referrer.Phone = "+447700900123", "+353871234567"
		}, []string{"07700 900123", "&#43;353 87 123 4567"}, nil, []string{"+447700900123", "&#43;447700900123", "&#43;353871234567"}},
		{"a phone with an extension", func(r *referral.Referral) { r.Referrer.Phone = "+441632960001;ext=123" }, []string{"01632 960001 ext. 123"}, nil, []string{";ext="}},
		{"one name only", func(r *referral.Referral) { r.Perpetrator.LastName, r.Victims[0].FirstName = "", "" },
			[]string{"Never tell Jon about this referral", `<h1 class="govuk-heading-xl">Jon</h1>`}, map[string][]string{"safety": {"<li id=\"safety-victim-1\">Roe: "}}, nil},
	}
	stray := regexp.MustCompile(`\S  +\S| [:.,;]|\( | \)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, _ := pageHandler(t)
			if tt.change != nil {
				tt.change(&st.rec.Referral)
			}
			page := request(t, h, "GET", "holder", nil).Body
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("got a page without %q", w)
				}
			}
			for id, ws := range tt.wantIn {
				next := map[string]string{"safety": "perpetrator", "victim-1": "children", "referral": "reason"}[id]
				s := section(t, page, id, next)
				for _, w := range ws {
					if !strings.Contains(s, w) {
						t.Errorf("got %s without %q:\n%s", id, w, s)
					}
				}
			}
			for _, n := range tt.not {
				if strings.Contains(page, n) {
					t.Errorf("got %q on the page, want it nowhere", n)
				}
			}
			// The warning's words, as a screen reader and the eye read
			// them: one space between words, none before punctuation.
			for _, line := range strings.Split(tags.ReplaceAllString(section(t, page, "safety", "perpetrator"), " | "), "\n") {
				line = strings.TrimSpace(strings.ReplaceAll(line, " | ", ""))
				if m := stray.FindString(line); m != "" {
					t.Errorf("safety warning: stray space %q in %q", m, line)
				}
			}
		})
	}
}

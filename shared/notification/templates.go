package notification

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Notice is what an email says, gathered by the notifier: the reference,
// a link, and for some kinds a case manager's work contact or the
// eligibility rules a referral failed. It has no field for anyone's
// personal details, so no template can show them.
type Notice struct {
	Kind      Kind
	Reference string
	// Area is the name of the referral's area ("Essex"): emails name
	// areas as people do, never by id. Empty for an area Drive does not
	// serve.
	Area string
	// Link is where the reader signs in to see more.
	Link string
	// Status is what a referrer's outcome email tells.
	Status referral.Status
	// Reasons are the eligibility rules the referral failed (ineligible).
	Reasons []string
	// CaseManager is the case manager concerned: who a referral is
	// allocated to (outcome, IDVA and MARAC coordinator), who has not
	// accepted it (escalation), whose address bounces (bounced).
	CaseManager Contact
	// Waiting is how long an allocation has waited (reminder, escalation).
	Waiting time.Duration
	// About is the kind of email that failed (send-failed).
	About Kind
	// Unsure: the email that failed may have been sent (send-failed).
	Unsure bool
	// Support is true for the email to a victim's IDVA or the area's
	// MARAC coordinator on allocation or ending.
	Support bool
	// Linked is the reference of the referral linked to this one (linked).
	Linked string
	// LinkedTo is, on the email to an open referral's team that a
	// referral linked to it (Reference) has been withdrawn (ended), the
	// open referral's reference.
	LinkedTo string
	// Passed says that the referral had been linked to an open one and
	// passed to its team (referral.StatusLinked) before it ended: its
	// officer's withdrawal email says so.
	Passed bool
	// Reason is a decline's or a close's reason code (declined, ended),
	// shown in words.
	Reason string
}

// Contact is a member of Drive's staff, at work.
type Contact struct {
	Name  string
	Email string
}

// content is one email's words, rendered as both text and HTML by the
// two layouts below.
type content struct {
	Subject string
	Heading string
	Paras   []string
	Facts   []fact
	Action  string // the link's words; "" for no link
	Link    string
	Footer  string
}

type fact struct{ Label, Value string }

const footer = "This email does not contain any personal details. Do not forward it."

// words is every email Drive sends, by kind: the one place their wording lives.
func words(n Notice) content {
	ref := n.Reference
	c := content{Link: n.Link, Facts: []fact{{"Reference", ref}}, Footer: footer}
	if n.Area != "" {
		c.Facts = append(c.Facts, fact{"Area", n.Area})
	}
	switch {
	case n.Kind == KindAllocated && n.Support:
		c.Subject = "Drive case " + ref + ": case manager allocated"
		c.Heading = "A Drive case manager has been allocated"
		c.Paras = []string{
			"Drive is starting work with the person who caused harm in a case you support. So that you can plan for the victim's safety together, this is the case manager to contact.",
			"Quote the reference when you contact them.",
		}
		c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name}, fact{"Email", n.CaseManager.Email})
		c.Link = ""
	case n.Kind == KindAllocated:
		c.Subject = "Drive referral " + ref + " has been allocated to you"
		c.Heading = "A Drive referral has been allocated to you"
		c.Paras = []string{"Sign in to read the referral, then accept it, or decline it if you cannot take it on."}
		c.Action = "See the referral"
	case n.Kind == KindReallocated:
		c.Subject = "Drive referral " + ref + " has been reallocated"
		c.Heading = "A case has been reallocated"
		c.Paras = []string{"A Drive case you held has been reallocated to another case manager. It no longer counts towards your caseload.", "Your area lead can tell you more."}
	case n.Kind == KindReminder:
		c.Subject = "Reminder: Drive referral " + ref + " is waiting for you to accept it"
		c.Heading = "A referral is waiting for you"
		c.Paras = []string{
			"A Drive referral was allocated to you " + ago(n.Waiting) + " and has not been accepted yet.",
			"Sign in to read it, then accept it. If you cannot take it on, decline it there with a reason: it goes back to allocation and your area lead is told.",
		}
		c.Action = "Accept or decline the referral"
	case n.Kind == KindEscalation:
		c.Subject = "Drive referral " + ref + " has not been accepted"
		c.Heading = "An allocation has not been accepted"
		c.Paras = []string{
			"A Drive referral in your area was allocated " + ago(n.Waiting) + " and has still not been accepted, although the case manager was reminded.",
			"Please check with the case manager, or reallocate the case.",
		}
		c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name})
		c.Action = "See the case"
	case n.Kind == KindDeclined:
		c.Subject = "Drive referral " + ref + " was declined by its case manager"
		c.Heading = "A case manager has declined a case"
		c.Paras = []string{
			"The case manager a Drive referral in your area was allocated to has declined it. It has gone back to allocation, and will not be offered to them again.",
			"If nobody else in the area has room, it waits on the waiting list: please check that it is allocated.",
		}
		c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name}, fact{"Reason", referral.DeclineReasonWords(n.Reason)})
		c.Action = "See the case"
	case n.Kind == KindEnded && n.Status == referral.StatusWithdrawn && n.LinkedTo != "":
		c.Subject = "Drive referral " + ref + ", linked to " + n.LinkedTo + ", has been withdrawn"
		c.Heading = "A linked referral has been withdrawn"
		c.Paras = []string{
			"The officer who made this referral, which was linked to referral " + n.LinkedTo + " that you work on, has withdrawn it.",
			"Referral " + n.LinkedTo + " is not changed by this. Sign in to see the withdrawn referral.",
		}
		c.Facts = append(c.Facts, fact{"Linked to", n.LinkedTo})
		c.Action = "See the withdrawn referral"
	case n.Kind == KindEnded && n.Status == referral.StatusWithdrawn && n.Passed:
		c.Subject = "Drive referral " + ref + " has been withdrawn"
		c.Heading = "Your Drive referral has been withdrawn"
		c.Paras = []string{
			"This referral has been withdrawn. It had been passed to the Drive team already working with the person in it, and they have been told that it is withdrawn.",
		}
		c.Action = "See the referral"
	case n.Kind == KindEnded && n.Status == referral.StatusWithdrawn:
		c.Subject = "Drive referral " + ref + " has been withdrawn"
		c.Heading = "A Drive referral has been withdrawn"
		c.Paras = []string{
			"The officer who made this referral has withdrawn it. Drive will not work, or will stop working, with the person who caused harm.",
			"If you are planning for the victim's safety alongside Drive, plan on the basis that Drive's intervention has stopped.",
		}
		c.Action = "See the referral"
	case n.Kind == KindEnded:
		c.Subject = "Drive case " + ref + " has been closed"
		c.Heading = "A Drive case has been closed"
		c.Paras = []string{
			"Drive's work with the person who caused harm in this case has stopped.",
			"If you are planning for the victim's safety alongside Drive, plan on the basis that Drive's intervention has stopped.",
		}
		if n.Reason != "" {
			c.Facts = append(c.Facts, fact{"Reason", referral.CloseReasonWords(n.Reason)})
		}
		c.Action = "See the referral"
	case n.Kind == KindSendFailed:
		c.Subject = "Drive could not send an email about referral " + ref
		c.Heading = "An email could not be sent"
		c.Paras = []string{
			"Drive tried several times to send " + describe(n.About) + " and could not. The operations team has been alerted.",
			"Until it is fixed, please make sure the person concerned knows.",
		}
		if n.Unsure {
			c.Paras[0] = "Drive sent " + describe(n.About) + " but the email service did not confirm it, so it may not have arrived. The operations team has been alerted."
			c.Paras[1] = "Please make sure the person concerned knows."
		}
		c.Action = "See the referral"
	case n.Kind == KindBounced:
		c.Subject = "A Drive case manager's email address is bouncing"
		c.Heading = "A case manager's email address is bouncing"
		c.Paras = []string{
			"An email Drive sent to this case manager about referral " + ref + " was returned: they may not be hearing of their allocations.",
			"Please check their email address in Drive, and tell them of the referral.",
		}
		c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name})
		c.Action = "See the referral"
	case n.Kind == KindLinked:
		c.Subject = "Drive referral " + ref + ": another referral for the same person"
		c.Heading = "Another referral has been linked to one you work on"
		c.Paras = []string{
			"Drive has received another referral for the person in this referral, and linked it to this one rather than starting again. It may hold new information.",
			"Sign in to read it.",
		}
		c.Facts = append(c.Facts, fact{"Linked referral", n.Linked})
		c.Action = "See the linked referral"
	case n.Kind == KindOutcome:
		c.Heading = "Thank you for your referral to Drive"
		c.Action = "See the referral's status"
		switch n.Status {
		case referral.StatusAllocated:
			c.Subject = "Drive referral " + ref + ": allocated to a case manager"
			c.Paras = []string{"The referral is eligible for Drive and has been allocated to a case manager, who will start work on it."}
			if n.CaseManager.Name != "" {
				c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name})
			}
		case referral.StatusAccepted:
			c.Subject = "Drive referral " + ref + ": accepted by the case manager"
			c.Paras = []string{"The case manager has accepted the referral and is starting work on it."}
			if n.CaseManager.Name != "" {
				c.Facts = append(c.Facts, fact{"Case manager", n.CaseManager.Name})
			}
		case referral.StatusWaitlisted:
			c.Subject = "Drive referral " + ref + ": on the waiting list"
			c.Paras = []string{"The referral is eligible for Drive. No case manager in the area has space at the moment, so it is on the waiting list and will be allocated in order of arrival as soon as one does."}
		case referral.StatusLinked:
			// The officer whose referral was passed to the team already
			// working with the person: the other referral may be another
			// officer's, so it is not named.
			c.Subject = "Drive referral " + ref + ": passed to the team already working with this person"
			c.Paras = []string{
				"A Drive team is already working with the person in this referral. The referral has been passed to them, with everything in it, and they have been told.",
				"It will not be decided or allocated on its own, so no eligibility decision or case manager will follow for it. If it was sent in error, you can withdraw it.",
			}
		case referral.StatusIneligible:
			c.Subject = "Drive referral " + ref + ": not eligible"
			c.Paras = []string{"The referral does not meet Drive's eligibility rules for the area:"}
			c.Paras = append(c.Paras, n.Reasons...)
			c.Paras = append(c.Paras, "If you have information that changes this, you can make a new referral.")
		default:
			c.Subject = "Drive referral " + ref + ": " + string(n.Status)
			c.Paras = []string{"The referral's status is now " + string(n.Status) + "."}
		}
		c.Footer = ""
	}
	if c.Action == "" || (n.Support && n.Kind == KindEnded) {
		// IDVAs and MARAC coordinators have no account to sign in with.
		c.Link, c.Action = "", ""
	}
	return c
}

// describe names the email of a kind, for the send-failed email.
func describe(k Kind) string {
	switch k {
	case KindAllocated:
		return "the email telling a case manager of an allocation"
	case KindOutcome:
		return "the email telling the referrer of the outcome"
	case KindReallocated:
		return "the email telling a case manager a case has moved from them"
	case KindReminder:
		return "the reminder to the case manager"
	case KindLinked:
		return "the email telling the team of a linked referral"
	default:
		return "an email"
	}
}

// ago says how long, in plain English: "24 hours ago", "3 days ago".
func ago(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, one)
	}
	switch {
	case d >= 72*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	default:
		return unit(max(int64(d/time.Second), 0), "second")
	}
}

var textLayout = texttemplate.Must(texttemplate.New("text").Parse(`{{.Heading}}
{{range .Paras}}
{{.}}
{{end}}
{{range .Facts}}{{.Label}}: {{.Value}}
{{end}}{{if .Link}}
{{.Action}}:
{{.Link}}
{{end}}{{if .Footer}}
{{.Footer}}
{{end}}`))

var htmlLayout = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #0b0c0c; max-width: 40em">
<h1 style="font-size: 24px">{{.Heading}}</h1>
{{range .Paras}}<p>{{.}}</p>
{{end}}<table role="presentation" style="border-collapse: collapse">
{{range .Facts}}<tr><th scope="row" style="text-align: left; padding: 4px 16px 4px 0">{{.Label}}</th><td style="padding: 4px 0">{{.Value}}</td></tr>
{{end}}</table>
{{if .Link}}<p><a href="{{.Link}}" style="color: #1d70b8">{{.Action}}</a></p>
{{end}}{{if .Footer}}<p style="color: #505a5f; font-size: 14px">{{.Footer}}</p>
{{end}}</body></html>
`))

// Compose writes the email of notice n to one recipient, in plain text and
// HTML, with the receipt id that makes it sent once.
func Compose(id, to string, n Notice) (Email, error) {
	c := words(n)
	if c.Subject == "" {
		return Email{}, fmt.Errorf("compose %s email for %s: no template for this kind", n.Kind, n.Reference)
	}
	var text, html bytes.Buffer
	if err := textLayout.Execute(&text, c); err != nil {
		return Email{}, fmt.Errorf("compose %s email for %s: %w", n.Kind, n.Reference, err)
	}
	if err := htmlLayout.Execute(&html, c); err != nil {
		return Email{}, fmt.Errorf("compose %s email for %s: %w", n.Kind, n.Reference, err)
	}
	return Email{ID: id, Kind: n.Kind, To: to, Subject: c.Subject, Text: strings.TrimLeft(text.String(), "\n"), HTML: html.String()}, nil
}

// Reasons lists the rules a decision failed, in the words the referrer
// is told.
func Reasons(d *referral.Decision) []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, o := range d.Failed() {
		out = append(out, o.Reason)
	}
	return out
}

package referral

import "github.com/driveprogramme/referrals/shared/mailaddr"

// checkAddress accepts only an email address that SES can send to
// (mailaddr.ForSES, the check the email adapter makes before sending), so
// that intake takes nothing a later hop refuses. what names the address
// ("your email address"), example shows one ("name@force.police.uk"), and
// an optional address's messages end ", or leave it blank".
func checkAddress(add func(string, string), field, what, example, value string, optional bool) {
	if value == "" {
		if !optional {
			add(field, "Enter "+what)
		}
		return
	}
	p := mailaddr.Problem(value, what, example)
	if p != "" && optional {
		p += ", or leave it blank"
	}
	if p != "" {
		add(field, p)
	}
}

package referral

import "regexp"

// PhoneParser reads a phone number as typed and returns it as stored:
// E.164, then ";ext=" and any extension (+441632960001;ext=123). It
// returns an error for text that is not a phone number. phone.Parse is the
// one intake uses; it is passed in, not imported, so that the functions
// that never read typed numbers do not link a phone-number library and its
// metadata (1.5 MB of a zipped function, measured with make build).
type PhoneParser func(typed string) (string, error)

// NormalisePhones puts each phone number of the referral in its stored
// form with parse. A number parse refuses is left as typed, for Validate
// to refuse with a message.
func (r *Referral) NormalisePhones(parse PhoneParser) {
	for _, p := range []*string{&r.Referrer.Phone, &r.Perpetrator.Phone} {
		if *p == "" {
			continue
		}
		if stored, err := parse(*p); err == nil {
			*p = stored
		}
	}
}

// storedPhone is the stored form NormalisePhones gives: E.164 (a +, then
// at most 15 digits, ITU-T E.164 §6) and any extension. It is our own
// format, checked here; reading what people type is the parser's job.
var storedPhone = regexp.MustCompile(`^\+[1-9][0-9]{5,14}(;ext=[0-9]{1,20})?$`)

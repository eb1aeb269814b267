package referral

import (
	"regexp"
	"strings"
)

// bfpoPattern is a British Forces Post Office number, which stands in for
// the postcode of a serving member's address: BFPO and 1 to 4 numbers.
// postcodePattern (validate.go) takes the postcodes of the UK, the Channel
// Islands and the Isle of Man, which Royal Mail addresses alike, and the
// forces' own BF1 postcodes.
var bfpoPattern = regexp.MustCompile(`^BFPO ?([0-9]{1,4})$`)

// postcodeWords is what a postcode field takes, for its messages.
const postcodeWords = "a full postcode, like CO1 1AA, or for a forces address BFPO and its number, like BFPO 1234"

// normalisePostcode upper-cases a postcode and puts the one space where it
// belongs, however it was typed: before the last three characters, or
// after BFPO. Characters, not bytes: a value with a letter outside ASCII
// (which Validate refuses) is never cut inside a character.
func normalisePostcode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if m := bfpoPattern.FindStringSubmatch(s); m != nil {
		return "BFPO " + m[1]
	}
	r := []rune(s)
	if len(r) < 5 {
		return s
	}
	return string(r[:len(r)-3]) + " " + string(r[len(r)-3:])
}

// validPostcode reports whether a normalised postcode is a postcode or a
// BFPO number.
func validPostcode(s string) bool {
	return postcodePattern.MatchString(s) || bfpoPattern.MatchString(s)
}

package referral_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

// person is a perpetrator as typed: names, date of birth and PNC ID.
type person struct{ first, last, dob, pnc string }

// normalised returns the referral of a person as intake stores it.
func (p person) normalised() referral.Referral {
	r := referral.Referral{Perpetrator: referral.Perpetrator{FirstName: p.first, LastName: p.last, DateOfBirth: p.dob, PNCID: p.pnc}}
	r.Normalise()
	return r
}

// same reports whether the duplicate check sees two people as one: the
// same perpetrator key, or the same PNC ID.
func same(t *testing.T, a, b person) bool {
	t.Helper()
	ra, rb := a.normalised(), b.normalised()
	ka, err := ra.PerpetratorKey()
	if err != nil {
		t.Fatalf("%+v: %v", a, err)
	}
	kb, err := rb.PerpetratorKey()
	if err != nil {
		t.Fatalf("%+v: %v", b, err)
	}
	return ka == kb || (ra.Perpetrator.PNCID != "" && ra.Perpetrator.PNCID == rb.Perpetrator.PNCID)
}

func TestSamePerpetrator(t *testing.T) {
	const dob = "1984-03-02"
	tests := []struct {
		name string
		a, b person
		same bool
	}{
		// Pairs that must match.
		{"José composed and decomposed (NFC, NFD)", person{"Jos\u00e9", "Doe", dob, ""}, person{"Jose\u0301", "Doe", dob, ""}, true},
		{"José composed and Jose", person{"Jos\u00e9", "Doe", dob, ""}, person{"Jose", "Doe", dob, ""}, true},
		{"José decomposed and Jose", person{"Jose\u0301", "Doe", dob, ""}, person{"Jose", "Doe", dob, ""}, true},
		{"case", person{"SEÁN", "O'BRIEN", dob, ""}, person{"seán", "o'brien", dob, ""}, true},
		{"case folding beyond lower case: ß and SS", person{"Hans", "Strauß", dob, ""}, person{"Hans", "STRAUSS", dob, ""}, true},
		{"apostrophes: straight, curly, modifier letter, none", person{"Seán", "O'Brien", dob, ""}, person{"Sean", "O\u2019Brien", dob, ""}, true},
		{"apostrophe as a modifier letter", person{"Seán", "O\u02bcBrien", dob, ""}, person{"Sean", "OBrien", dob, ""}, true},
		{"hyphens: hyphen-minus, Unicode hyphen, en dash, a space", person{"Mary", "Smith-Jones", dob, ""}, person{"Mary", "Smith\u2010Jones", dob, ""}, true},
		{"en dash and space", person{"Mary", "Smith\u2013Jones", dob, ""}, person{"Mary", "Smith Jones", dob, ""}, true},
		{"letters with no decomposition: Ł, ø, Ø, Æ, Đ", person{"Łukasz", "Søren-Ørsted", dob, ""}, person{"Lukasz", "Soren Orsted", dob, ""}, true},
		{"the Turkish dotless ı and i", person{"Ali", "Yılmaz", dob, ""}, person{"Ali", "Yilmaz", dob, ""}, true},
		{"Æthelred and Aethelred, Đorđe and Dorde", person{"Æthelred", "Đorđe", dob, ""}, person{"Aethelred", "Dorde", dob, ""}, true},
		{"full-width letters", person{"\uff2a\uff4f\uff48\uff4e", "Doe", dob, ""}, person{"John", "Doe", dob, ""}, true},
		{"invisible characters typed in", person{"Jo\u200bhn", "\u202eDoe", dob, ""}, person{"John", "Doe", dob, ""}, true},
		{"white space", person{"  John ", " Doe\t", dob, ""}, person{"John", "Doe", dob, ""}, true},
		{"one name, given as first or as last name", person{"Madonna", "", dob, ""}, person{"", "MADONNA", dob, ""}, true},
		{"PNC ID with and without the serial's leading zeros", person{"John", "Doe", dob, "04/12345D"}, person{"Jon", "Dough", dob, "04/0012345D"}, true},
		{"PNC ID with a two- and a four-digit year", person{"John", "Doe", dob, "04/12345D"}, person{"Jon", "Dough", dob, "2004/0012345D"}, true},
		{"PNC ID without the slash, lower case, spaced", person{"John", "Doe", dob, "2004 0012345 d"}, person{"Jon", "Dough", dob, "04/12345D"}, true},
		{"PNC ID of one name", person{"Madonna", "", dob, "04/12345D"}, person{"Louise", "Ciccone", dob, "2004/12345D"}, true},

		// Pairs that must not.
		{"same name, other date of birth", person{"José", "Doe", dob, ""}, person{"José", "Doe", "1984-03-03", ""}, false},
		{"same one name, other date of birth", person{"Madonna", "", dob, ""}, person{"Madonna", "", "1958-08-16", ""}, false},
		{"different people", person{"John", "Doe", dob, ""}, person{"Jane", "Doe", dob, ""}, false},
		{"names split differently", person{"John", "Doe", dob, ""}, person{"Johnd", "Oe", dob, ""}, false},
		{"one name and two", person{"John", "", dob, ""}, person{"John", "Doe", dob, ""}, false},
		{"first and last swapped", person{"John", "Doe", dob, ""}, person{"Doe", "John", dob, ""}, false},
		{"other PNC ID", person{"John", "Doe", dob, "04/12345D"}, person{"Jon", "Dough", dob, referral.FormatPNC(2004, 12346)}, false},
		{"same serial, other year", person{"John", "Doe", dob, "04/12345D"}, person{"Jon", "Dough", dob, referral.FormatPNC(2005, 12345)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := same(t, tt.a, tt.b); got != tt.same {
				t.Errorf("%+v and %+v: got same %v, want %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
}

func TestPerpetratorKeyIsNeverQuietlyEmpty(t *testing.T) {
	for _, p := range []person{{"", "", "1984-03-02", ""}, {"-", ".", "1984-03-02", ""}, {"\u200b", "\u202e\u202d", "1984-03-02", ""}, {"John", "Doe", "", ""}} {
		key, err := p.normalised().PerpetratorKey()
		if !errors.Is(err, referral.ErrNoPerpetratorKey) || key != "" {
			t.Errorf("%+v: got %q, %v; want ErrNoPerpetratorKey", p, key, err)
		}
	}
}

func TestParsePNC(t *testing.T) {
	tests := []struct {
		in   string
		born int
		want string
		err  error
	}{
		{"04/12345D", 1984, "2004/0012345D", nil},
		{"04/0012345D", 1984, "2004/0012345D", nil},
		{"2004/0012345D", 1984, "2004/0012345D", nil},
		{"2004/12345D", 1984, "2004/0012345D", nil},
		{"0412345D", 1984, "2004/0012345D", nil},
		{"040012345D", 1984, "2004/0012345D", nil},
		{"20040012345D", 1984, "2004/0012345D", nil},
		{" 04 / 12345 d ", 1984, "2004/0012345D", nil},
		{"79/4817263G", 1960, "1979/4817263G", nil},
		{"79/4817263G", 0, "1979/4817263G", nil},
		{"04/1234567F", 1984, "2004/1234567F", nil},
		// The century of a two-digit year is the one of the person's life.
		{"04/12345D", 1902, "1904/0012345D", nil},
		{"99/1G", 1984, referral.FormatPNC(1999, 1), nil},
		{"04/12345E", 1984, "", referral.ErrPNCCheck},
		{"04/1234567A", 1984, "", referral.ErrPNCCheck},
		{"04/12345", 1984, "", referral.ErrPNCFormat},
		{"4/12345D", 1984, "", referral.ErrPNCFormat},
		{"04/12345678D", 1984, "", referral.ErrPNCFormat},
		{"04//12345D", 1984, "", referral.ErrPNCFormat},
		{"AB/12345D", 1984, "", referral.ErrPNCFormat},
		{"", 1984, "", referral.ErrPNCFormat},
		{"04/12345\u0000D", 1984, "", referral.ErrPNCFormat},
	}
	for _, tt := range tests {
		got, err := referral.ParsePNC(tt.in, tt.born)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParsePNC(%q, %d) = %q, %v; want %q, %v", tt.in, tt.born, got, err, tt.want, tt.err)
		}
	}
}

// Without a slash, a four-digit year and a serial without its zeros can
// also read as a two-digit year ("200412345D": 2004/0012345D or
// 2020/0412345?): the check letter says which is meant, and when both
// readings are valid the slash is asked for, never one guessed.
func TestParsePNCWithoutSlashIsNeverGuessed(t *testing.T) {
	read, ambiguous := 0, 0
	for year := 1970; year <= 2026; year++ {
		for _, serial := range []int{7, 42, 123, 4817, 12345} {
			want := referral.FormatPNC(year, serial)
			in := fmt.Sprintf("%d%d%c", year, serial, referral.PNCCheckLetter(year, serial))
			got, err := referral.ParsePNC(in, 1950)
			switch {
			case err == nil && got == want:
				read++
			case errors.Is(err, referral.ErrPNCAmbiguous):
				ambiguous++
			default:
				t.Errorf("ParsePNC(%q) = %q, %v; want %q or ErrPNCAmbiguous", in, got, err, want)
			}
		}
	}
	if read == 0 || ambiguous == 0 {
		t.Errorf("got %d read and %d ambiguous, want some of each", read, ambiguous)
	}
}

func TestCheckLetterAlphabet(t *testing.T) {
	seen := map[byte]bool{}
	for serial := range 23 {
		c := referral.PNCCheckLetter(0, serial)
		if c == 'I' || c == 'O' || c == 'S' || seen[c] {
			t.Errorf("serial %d: got check letter %c, want one of 23 letters without I, O and S", serial, c)
		}
		seen[c] = true
	}
	if got := referral.PNCCheckLetter(2000, 0); got != 'Z' {
		t.Errorf("remainder 0: got %c, want Z", got)
	}
}

func TestNameMatches(t *testing.T) {
	p := referral.Perpetrator{FirstName: "Seán", LastName: "O’Brien", Aliases: []string{"Johnny Smith-Jones"}}
	for _, c := range []struct {
		query string
		want  bool
	}{
		{"obrien", true},
		{"Sean O'Brien", true},
		{"O'BRIEN SEAN", true},
		{"smith jones", true},
		{"brie", true},
		{"Tom", false},
		{"  ", false},
		{"123", false},
	} {
		if got := p.NameMatches(c.query); got != c.want {
			t.Errorf("NameMatches(%q): got %v, want %v", c.query, got, c.want)
		}
	}
}

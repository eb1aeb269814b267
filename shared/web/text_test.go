package web

import (
	"reflect"
	"testing"
)

func TestFullName(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"Jon", "Doe"}, "Jon Doe"},
		{[]string{"Jon", ""}, "Jon"},
		{[]string{"", "Doe"}, "Doe"},
		{[]string{" Jon ", " Doe "}, "Jon Doe"},
		{[]string{"", ""}, ""},
	}
	for _, tt := range tests {
		if got := FullName(tt.names...); got != tt.want {
			t.Errorf("FullName(%q): got %q, want %q", tt.names, got, tt.want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		text string
		want [][]string
	}{
		{"", nil},
		{"One line", [][]string{{"One line"}}},
		{"Line one\nLine two", [][]string{{"Line one", "Line two"}}},
		{"Line one\r\nLine two\r\n\r\nPara two", [][]string{{"Line one", "Line two"}, {"Para two"}}},
		{"\n\nA\n\n\n\nB\n\n", [][]string{{"A"}, {"B"}}},
	}
	for _, tt := range tests {
		if got := Paragraphs(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Paragraphs(%q): got %q, want %q", tt.text, got, tt.want)
		}
	}
}

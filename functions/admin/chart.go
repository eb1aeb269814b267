package main

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"github.com/driveprogramme/referrals/shared/report"
)

// chart draws the report's two charts as inline SVG, drawn here so that
// the page needs no script and no image request: referrals received per
// month, and the median days to allocation of each month's referrals.
// Each is an image to assistive technology (role="img") named by its
// title and described by its desc, which says the figures in words; the
// page shows the same figures in a table beside it.
func chart(months []report.Month) template.HTML {
	if len(months) == 0 {
		return ""
	}
	labels := make([]string, len(months))
	received := make([]float64, len(months))
	days := make([]float64, len(months))
	var saidReceived, saidDays []string
	for i, m := range months {
		labels[i] = m.Start.Format("Jan 06")
		received[i] = float64(m.Received)
		saidReceived = append(saidReceived, fmt.Sprintf("%s: %d", m.Start.Format("January 2006"), m.Received))
		days[i] = math.NaN()
		if med := m.TimeToAllocation.MedianSeconds; med != nil {
			days[i] = float64(*med) / 86400
			saidDays = append(saidDays, fmt.Sprintf("%s: %s", m.Start.Format("January 2006"), daysWords(*med)))
		}
	}
	descDays := "No referral received in these months has been allocated."
	if len(saidDays) > 0 {
		descDays = "Median days from referral to allocation, by the month the referrals were received; months with no allocation are left out. " + strings.Join(saidDays, "; ") + "."
	}
	return template.HTML(bars("chart-received", "Referrals received per month",
		"Referrals received, by month. "+strings.Join(saidReceived, "; ")+".", labels, received, "%.0f") +
		bars("chart-allocation", "Median time to allocation per month, in days", descDays, labels, days, "%.1f"))
}

// daysWords is a time in seconds as days in words, to one decimal place.
func daysWords(seconds int64) string {
	d := float64(seconds) / 86400
	if d == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%.1f days", d)
}

// bars draws one bar chart: a bar and its value per label; a value that
// is NaN (nothing measured) is drawn as a dash, not as a bar of zero.
func bars(id, title, desc string, labels []string, values []float64, format string) string {
	const width, height, left, bottom, top = 720.0, 260.0, 40.0, 40.0, 24.0
	top0 := 0.0
	for _, v := range values {
		if !math.IsNaN(v) && v > top0 {
			top0 = v
		}
	}
	scale := niceCeiling(top0)
	step := (width - left) / float64(len(values))
	barW := math.Max(step*0.6, 2)
	plot := height - bottom - top
	var b strings.Builder
	// The title is shown above the chart too: an SVG's title is only a
	// tooltip to a sighted reader. The SVG is named by its own title.
	fmt.Fprintf(&b, `<h3 class="govuk-heading-s govuk-!-margin-bottom-1" id="%s-heading">%s</h3>`, id, html.EscapeString(title))
	fmt.Fprintf(&b, `<svg class="drive-chart" id="%s" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %.0f %.0f" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" font-family="GDS Transport, arial, sans-serif" font-size="12">`,
		id, id, id, width, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, html.EscapeString(title), id, html.EscapeString(desc))
	// Axis and three grid lines, labelled.
	for i := 0; i <= 2; i++ {
		v := scale * float64(i) / 2
		y := top + plot - plot*float64(i)/2
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#b1b4b6" stroke-width="1"/>`, left, y, width, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#0b0c0c">%s</text>`, left-6, y+4, html.EscapeString(trimZero(fmt.Sprintf("%.1f", v))))
	}
	for i, v := range values {
		x := left + step*float64(i) + (step-barW)/2
		cx := x + barW/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#0b0c0c">%s</text>`, cx, height-bottom+16, html.EscapeString(labels[i]))
		if math.IsNaN(v) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#505a5f">–</text>`, cx, top+plot-4)
			continue
		}
		h := 0.0
		if scale > 0 {
			h = plot * v / scale
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1d70b8"/>`, x, top+plot-h, barW, h)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#0b0c0c">%s</text>`, cx, top+plot-h-4, html.EscapeString(fmt.Sprintf(format, v)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeiling is the axis's top: the next of 1, 2, 5 × a power of ten at
// or above v (at least 1), so that the grid's halves read well.
func niceCeiling(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

package referral

import "time"

// View is one reading of a referral's personal details (the case page,
// or GET /cases/{id}): who read them, in what role, and when. Views are
// kept with the referral and expire with it (issue 14: peers with
// sensitive records keep a per-record access log); they name staff, never
// the referral's people.
type View struct {
	At      time.Time `json:"at"`
	Subject string    `json:"subject"`
	Name    string    `json:"name,omitempty"`
	// Role is why they may read it: RoleCaseManager for the case manager
	// holding the case, "area lead" for a lead of its area.
	Role string `json:"role"`
}

// RecentViews is how many of a referral's views its case page shows, the
// newest; the page says how many earlier ones there are.
const RecentViews = 50

package main

import (
	"context"
	"regexp"
	"sync"

	"github.com/driveprogramme/referrals/shared/eligibility"

	"github.com/driveprogramme/referrals/shared/referral"
)

// choiceErrors are the form's messages for its radio and checkbox
// questions. The validation is the API's too, and speaks of values ("like
// essex"); on the page a radio question is answered by selecting, so its
// error says "Select …", as GOV.UK's radios and checkboxes do. Fields are
// as forForm leaves them (one victim-survivor's as victims[]).
var choiceErrors = map[string]string{
	"area":                                "Select the Drive area this referral is for",
	"route":                               "Select how this referral has come about",
	"riskCriteria":                        "Select only risk criteria from the list",
	"perpetrator.gender":                  "Select the gender of the person you are referring, or leave it blank",
	"victims[].relationshipToPerpetrator": "Select their relationship to the person you are referring, or leave it blank",
	"victims[].safeToContact":             "Select yes if it is safe to contact them",
	"victims[].idvaAllocated":             "Select yes if an IDVA has been allocated",
	"children.childrensServicesInvolved":  "Select yes if children's services are involved",
	"victimAwareOfReferral":               "Select yes if the victim-survivor knows about this referral",
}

var victimPrefix = regexp.MustCompile(`^victims\[[0-9]+\]\.`)

// asSelect gives a radio or checkbox question's error the form's own
// words.
func asSelect(e referral.FieldError) referral.FieldError {
	if m := choiceErrors[victimPrefix.ReplaceAllString(e.Field, "victims[].")]; m != "" {
		e.Message = m
	}
	return e
}

// areaName is how a page names an area: by its name ("Essex"); an area
// Drive does not serve, which has none, is named as the referral gave it.
func (h *handler) areaName(ctx context.Context, id string) string {
	for _, a := range h.areas(ctx) {
		if a.ID == id && a.Name != "" {
			return a.Name
		}
	}
	return "Not an area Drive serves (" + id + ")"
}

// areaList is the list of areas this process last read: areas change
// rarely, and a page answered because the table cannot be read (a 503
// with the form, every answer kept) still names them.
type areaList struct {
	mu   sync.Mutex
	last []eligibility.Area
}

// areas returns the areas, or when they cannot be read, those this
// process read last (none, if it never has, or it keeps no areaList), and
// logs why.
func (h *handler) areas(ctx context.Context) []eligibility.Area {
	areas, err := h.store.Areas(ctx)
	if h.areaList == nil {
		if err != nil {
			h.log.ErrorContext(ctx, "areas not listed", "error", err.Error())
		}
		return areas
	}
	h.areaList.mu.Lock()
	defer h.areaList.mu.Unlock()
	if err != nil {
		h.log.ErrorContext(ctx, "areas not listed; using those read before", "areas", len(h.areaList.last), "error", err.Error())
		return h.areaList.last
	}
	h.areaList.last = areas
	return areas
}

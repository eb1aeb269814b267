package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/web"
)

// referralsPageSize is how many referrals a page of "Your referrals"
// shows: an officer makes a few a month, so most see one page.
const referralsPageSize = 20

// yoursView is the "Your referrals" page: a page of the officer's
// referrals, newest first, each with its area's name, and the links to
// the pages either side.
type yoursView struct {
	Rows       []yoursRow
	Pagination web.Pagination
	// First says that this is the newest page.
	First bool
}

type yoursRow struct {
	dynamo.Submitted
	AreaName string
}

// yours answers GET /referrals: the signed-in officer's referrals, found
// by the subject of their sign-in (GSI3), a page at a time. The page is
// named by a cursor (the query's "page") sealed for the session
// (web.SealCursor): one that is not the service's own for this session is
// answered 400 with a link to the first page. Only those who refer have
// referrals of their own to list.
func (h *handler) yours(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	if !p.MayRefer() {
		return web.Message(http.StatusForbidden, web.Page{Title: "You cannot use this page", SignedIn: &p.Identity,
			Message: "Only police officers and staff who make referrals have referrals of their own to list. If you should, ask your administrator to give you the officer role.",
			Link:    "/", LinkText: "Go to your home page"})
	}
	size := h.pageSize
	if size <= 0 {
		size = referralsPageSize
	}
	var from dynamo.PageOf
	badPage := func() events.APIGatewayV2HTTPResponse {
		return web.Message(http.StatusBadRequest, web.Page{Title: "This page of your referrals cannot be shown", SignedIn: &p.Identity,
			Message: "The link to it was not made by this service for your sign-in: it may have been changed, or made before you last signed in. Your referrals are all on the pages that start at the first.",
			Link:    "/referrals", LinkText: "Go to the first page of your referrals"})
	}
	if raw, ok := req.QueryStringParameters["page"]; ok {
		words, ok := web.OpenCursor(req, raw)
		if !ok {
			h.log.WarnContext(ctx, "referrals page refused: cursor not sealed for this session", "subject", p.Subject)
			return badPage()
		}
		dir, after, _ := strings.Cut(words, ":")
		if (dir != "older" && dir != "newer") || after == "" {
			return badPage()
		}
		from = dynamo.PageOf{After: after, Newer: dir == "newer"}
	}
	pg, err := h.store.SubmittedBy(ctx, p.Subject, from, size)
	if errors.Is(err, dynamo.ErrBadPage) {
		return badPage()
	}
	if err != nil {
		h.log.ErrorContext(ctx, "referrals page not read", "error", err.Error())
		return unavailablePage(&p.Identity, pageUnavailable)
	}
	link := func(at *dynamo.PageOf) string {
		if at == nil {
			return ""
		}
		dir := "older"
		if at.Newer {
			dir = "newer"
		}
		return "/referrals?page=" + url.QueryEscape(web.SealCursor(req, dir+":"+at.After))
	}
	v := yoursView{Pagination: web.Pagination{Previous: link(pg.Newer), Next: link(pg.Older)}, First: pg.Newer == nil}
	names := map[string]string{}
	for _, a := range h.areas(ctx) {
		names[a.ID] = a.Name
	}
	for _, s := range pg.Referrals {
		name := names[s.Area]
		if name == "" {
			name = "Not an area Drive serves (" + s.Area + ")" // as the status page says
		}
		v.Rows = append(v.Rows, yoursRow{Submitted: s, AreaName: name})
	}
	return html(http.StatusOK, "referrals", page{Page: web.Page{Title: "Your referrals", SignedIn: &p.Identity}, Yours: &v})
}

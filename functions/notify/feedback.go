package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// feedback is what SES tells of an email: that it took it (Send), that
// the recipient's server accepted it (Delivery), a bounce or a complaint,
// published by the configuration set to SNS and on to the feedback queue.
// Only what Drive records is read: the addresses and headers SES includes
// are not kept or logged.
type feedback struct {
	EventType string `json:"eventType"` // configuration-set events
	// NotificationType is the same in SES's older identity notifications.
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
		// Tags are the email's message tags (and SES's own, ses:...),
		// each a list of values: the receipt tag names Drive's receipt.
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce struct {
		BounceType    string `json:"bounceType"` // Permanent, Transient, Undetermined
		BounceSubType string `json:"bounceSubType"`
	} `json:"bounce"`
	Complaint struct {
		FeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
}

// parseFeedback reads an SES event from a message body, raw or in SNS's
// envelope; ok is false for anything else (a notification event).
func parseFeedback(body string) (feedback, bool) {
	var envelope struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	if json.Unmarshal([]byte(body), &envelope) == nil && envelope.Type == "Notification" {
		body = envelope.Message
	}
	var f feedback
	if json.Unmarshal([]byte(body), &f) != nil {
		return f, false
	}
	if f.EventType == "" {
		f.EventType = f.NotificationType
	}
	return f, f.EventType != "" && f.Mail.MessageID != ""
}

// receipt is the id of Drive's receipt that the event's email carries in
// its tag (notification.ReceiptTag); "" for an email sent without one.
func (f feedback) receipt() string {
	if v := f.Mail.Tags[notification.ReceiptTagName]; len(v) == 1 {
		if id, ok := notification.ReceiptFromTag(v[0]); ok {
			return id
		}
	}
	return ""
}

// state says what the feedback means for the email.
func (f feedback) state() (notification.State, string, bool) {
	switch f.EventType {
	case "Bounce":
		why := "bounced: " + f.Bounce.BounceType + " " + f.Bounce.BounceSubType
		if f.Bounce.BounceType == "Permanent" {
			return notification.StateBounced, why, true
		}
		return notification.StateSoftBounce, why, true
	case "Complaint":
		return notification.StateComplained, "complaint: " + f.Complaint.FeedbackType, true
	}
	return "", "", false
}

// feedback records a bounce or complaint against the email's receipt. A
// case manager whose address bounces for good is flagged, and the area's
// leads are told (by an email of its own, through the queue).
//
// Any event that names a receipt (Send, Delivery, and a bounce or
// complaint too) first confirms that SES took the email: a receipt left
// sending or unknown (the call's answer was lost) becomes sent, with
// SES's message id, so that no retry sends it again.
func (h *handler) feedback(ctx context.Context, f feedback) error {
	ctx = logctx.With(ctx, "sesMessageId", f.Mail.MessageID)
	if id := f.receipt(); id != "" {
		r, err := h.store.Confirm(ctx, id, f.Mail.MessageID, h.now().UTC())
		if err != nil {
			return err
		}
		if r.State != "" {
			h.log.InfoContext(ctx, "email confirmed sent by SES's event", "eventType", f.EventType, "receipt", id, "attempts", r.Attempts)
		}
	}
	state, why, ok := f.state()
	if !ok {
		h.log.InfoContext(ctx, "SES event ignored", "eventType", f.EventType)
		return nil
	}
	r, err := h.store.Feedback(ctx, f.Mail.MessageID, state, why, h.now().UTC())
	if errors.Is(err, referral.ErrNotFound) {
		h.log.WarnContext(ctx, "SES feedback about an email Drive has no record of; dropped", "eventType", f.EventType)
		return nil
	}
	if err != nil {
		return err
	}
	ctx = logctx.With(ctx, "reference", r.Reference)
	h.log.WarnContext(ctx, "email "+string(state), "kind", string(r.Kind), "why", why, "caseManagerId", r.CaseManagerID)
	if state != notification.StateBounced || r.CaseManagerID == "" {
		return nil
	}
	if err := h.store.FlagBounced(ctx, r.Area, r.CaseManagerID, h.now().UTC()); err != nil && !errors.Is(err, referral.ErrNotFound) {
		return err
	}
	// A plain send, not the outbox: the feedback message is deleted only
	// when this returns nil, and a redelivery (after a failed send or a
	// crash) records the bounce and flags the manager again, changing
	// nothing twice, then tells the leads; notify sends their email once.
	tell := notification.Event{Kind: notification.KindBounced, Reference: r.Reference, CaseManagerID: r.CaseManagerID, About: r.Kind, Since: r.At}
	body, err := json.Marshal(tell)
	if err != nil {
		return err
	}
	return h.later.Send(ctx, dynamo.QueueNotify, string(body))
}

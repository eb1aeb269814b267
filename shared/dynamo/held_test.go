package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestHeldByConditionsOnTheHolderRead(t *testing.T) {
	since := time.Date(2026, 11, 29, 10, 0, 0, 123, time.UTC)
	tests := []struct {
		name   string
		holder *referral.Assignee
		want   string
		values []string
	}{
		{"held by nobody", nil, "#status = :from AND attribute_not_exists(caseManager)", nil},
		{"held since a time", &referral.Assignee{ID: "essex-cm1", Since: since},
			"#status = :from AND #holder.#holderId = :holderId AND #holder.#holderSince = :holderSince", []string{":holderId", ":holderSince"}},
		{"held with no time recorded", &referral.Assignee{ID: "essex-cm1"},
			"#status = :from AND #holder.#holderId = :holderId AND attribute_not_exists(#holder.#holderSince)", []string{":holderId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &types.Update{ConditionExpression: aws.String("#status = :from"),
				ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{}}
			if err := heldBy(u, tt.holder); err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(u.ConditionExpression); got != tt.want {
				t.Errorf("got condition %q, want %q", got, tt.want)
			}
			for _, v := range tt.values {
				if _, ok := u.ExpressionAttributeValues[v]; !ok {
					t.Errorf("got values %v, want %s among them", u.ExpressionAttributeValues, v)
				}
			}
			if got, want := len(u.ExpressionAttributeValues), len(tt.values); got != want {
				t.Errorf("got %d values, want %d", got, want)
			}
		})
	}
}

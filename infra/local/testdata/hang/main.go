// Command hang is a Lambda function for the local runtime's own tests: it
// answers its process id, after sleeping as long as the event says.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Sleep string `json:"sleep"`
}

func main() {
	lambda.Start(func(ctx context.Context, e event) (map[string]int, error) {
		if d, err := time.ParseDuration(e.Sleep); err == nil {
			time.Sleep(d) // deliberately deaf to ctx: a function that hangs
		}
		return map[string]int{"pid": os.Getpid()}, nil
	})
}

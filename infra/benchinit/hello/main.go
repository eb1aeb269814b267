// Command hello is the bare Go Lambda that make bench-init measures the
// functions' init against: it starts the runtime and answers "hello".
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}

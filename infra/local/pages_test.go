package local_test

import (
	"fmt"
	"sync"

	"github.com/driveprogramme/referrals/shared/htmlcheck"
)

// pageCheck is given every HTML page a stack of the tests serves
// (local.Config.Pages), to a test's HTTP client or to the headless
// browser alike, and parses each one (htmlcheck): ids unique, every label
// naming its own control, no link or description naming a missing id.
// TestMain fails the run on any problem, as it does for openapi.yaml.
type pageCheck struct {
	mu       sync.Mutex
	checked  int
	problems []string
}

var pages = &pageCheck{}

func (c *pageCheck) check(method, path string, status int, body []byte) {
	problems := htmlcheck.Check(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	for _, p := range problems {
		c.problems = append(c.problems, fmt.Sprintf("%s %s answered %d with a faulty page: %s", method, path, status, p))
	}
}

func (c *pageCheck) report() (checked int, problems []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked, append([]string(nil), c.problems...)
}

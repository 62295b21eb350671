package link

import "context"

// DialOnce makes one connection the way Run does and closes it, so a test
// sees why a broker refused it (Run only logs that and retries).
func (l *Link) DialOnce(ctx context.Context) error {
	c, err := l.dial(ctx)
	if err != nil {
		return err
	}
	c.cl.Disconnect(0)
	return nil
}

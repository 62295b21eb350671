package central

import (
	"context"
	"fmt"
)

// SetSetting sets the central-wide setting name to value (Setting reads
// it), replacing what it held.
func (s *SQLStore) SetSetting(ctx context.Context, name, value string) error {
	if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"), name, value); err != nil {
		return fmt.Errorf("central: setting %s: %w", name, err)
	}
	return nil
}

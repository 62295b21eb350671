package store

// DecodedAtOpen is how many records Open decoded: none when the file's
// index agreed with what the page check read.
func DecodedAtOpen(s *Store) int { return s.decoded }

var (
	ParseID   = parseID
	UUIDBytes = uuidBytes
)

package search

// IndexColumns exposes columns to the tests.
func IndexColumns(text string) (body, uni []string) { return columns(text, nil, nil) }

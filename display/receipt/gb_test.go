package receipt_test

import "golang.org/x/text/encoding/simplifiedchinese"

func gbEncode(s string) (string, error) {
	return simplifiedchinese.GB18030.NewEncoder().String(s)
}

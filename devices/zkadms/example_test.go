package zkadms_test

import (
	"fmt"
	"time"

	"github.com/dakahq/daka/devices/zkadms"
)

// A handler parses the batch, attaches the device zone to each naive time,
// stores the records and acknowledges with OK: n.
func ExampleParseATTLOG() {
	body := []byte("1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n\t2024-08-05 12:41:00\t0\t1\n")
	loc := time.FixedZone("CST", 8*3600) // the device's configured zone
	recs, bad := zkadms.ParseATTLOG(body)
	for _, r := range recs {
		w := r.LocalTime
		at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
		fmt.Println(r.PIN, at.UTC().Format(time.RFC3339), zkadms.StatusMeaning(r.Status), zkadms.VerifyMethod(r.Verify))
	}
	for _, b := range bad {
		fmt.Println("rejected line", b.Line, b.Reason)
	}
	fmt.Println(zkadms.OKCount(len(recs)))
	// Output:
	// 1156 2024-08-05T04:40:57Z check-out fingerprint
	// rejected line 2 zkadms: empty PIN
	// OK: 1
}

// Commands are built by validated constructors and rendered once per poll.
func ExampleFormatCommands() {
	upsert, _ := zkadms.CmdUpdateUser("101", zkadms.User{PIN: "1001", Name: "Jane Doe"})
	del, _ := zkadms.CmdDeleteUser("102", "1002")
	fmt.Printf("%q\n", zkadms.FormatCommands([]zkadms.Command{upsert, del}))
	fmt.Printf("%q\n", zkadms.FormatCommands(nil))
	// Output:
	// "C:101:DATA UPDATE USERINFO PIN=1001\tName=Jane Doe\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\nC:102:DATA DELETE USERINFO PIN=1002\n"
	// "OK"
}

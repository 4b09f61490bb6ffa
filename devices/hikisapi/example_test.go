package hikisapi_test

import (
	"fmt"

	"github.com/dakahq/daka/devices/hikisapi"
)

// A handler turns a pass event into a punch keyed by (device, serialNo) and
// answers 200 whatever happens.
func ExampleParseEvent() {
	body := []byte(`{"eventType":"AccessControllerEvent","dateTime":"2026-02-24T19:45:13+08:00",` +
		`"AccessControllerEvent":{"majorEventType":5,"subEventType":75,"employeeNoString":"123123123",` +
		`"serialNo":1199,"doorNo":2,"attendanceStatus":"undefined","currentVerifyMode":"face"}}`)
	ev, err := hikisapi.ParseEvent("application/json", body, 2<<20)
	if err != nil {
		fmt.Println("log and answer 200:", err)
		return
	}
	doors := map[int]hikisapi.Direction{1: hikisapi.DirectionIn, 2: hikisapi.DirectionOut}
	if ev.IsPass() && ev.EmployeeNo != "" {
		fmt.Println(ev.EmployeeNo, ev.DateTime.UTC(), *ev.SerialNo, ev.Direction(doors), hikisapi.SubEventName(ev.SubEventType))
	}
	// Output:
	// 123123123 2026-02-24 11:45:13 +0000 UTC 1199 out face pass
}

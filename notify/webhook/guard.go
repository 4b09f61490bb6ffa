package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenAddress is a delivery to an address the guard does not allow.
var ErrForbiddenAddress = errors.New("webhook: the endpoint resolves to an address deliveries may not reach")

// Policy says which addresses deliveries may reach.
type Policy struct {
	AllowLoopback bool // 127.0.0.0/8, ::1
	AllowPrivate  bool // RFC 1918, fc00::/7, 100.64.0.0/10 (and loopback)
}

// never are ranges no delivery reaches, whatever the policy: link-local
// (cloud metadata at 169.254.169.254 lives there), "this network", IETF
// protocol assignments, benchmarking, reserved, documentation, NAT64 (which
// would smuggle an IPv4 target inside IPv6).
var never = mustPrefixes("0.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	"fe80::/10", "64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "100::/64")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Allowed reports whether a delivery may connect to ip.
func (p Policy) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, n := range never {
		if n.Contains(ip) {
			return false
		}
	}
	switch {
	case ip.IsLoopback():
		return p.AllowLoopback || p.AllowPrivate
	case ip.IsPrivate() || cgnat.Contains(ip):
		return p.AllowPrivate
	}
	return true
}

// Control is a net.Dialer Control hook that refuses connections to addresses
// the policy forbids. It runs on the address actually dialled, after DNS, so
// a name that resolves (or re-resolves) to an internal address is caught.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !p.Allowed(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

// CheckURL validates an endpoint URL at registration: absolute https (or
// http to a loopback host when allowHTTP), no credentials, and, when the
// host is an IP literal, an address the policy allows. Names are checked
// again, on their resolved address, at every delivery.
func (p Policy) CheckURL(raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, errors.New("the url must be an absolute https URL")
	}
	if u.User != nil {
		return nil, errors.New("the url must not carry credentials; the signature authenticates deliveries")
	}
	if u.Fragment != "" {
		return nil, errors.New("the url must not have a fragment")
	}
	host := u.Hostname()
	ip, ipErr := netip.ParseAddr(host)
	loopback := strings.EqualFold(host, "localhost") || (ipErr == nil && ip.Unmap().IsLoopback())
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP || !loopback {
			return nil, errors.New("the url must be https")
		}
	default:
		return nil, errors.New("the url must be https")
	}
	if ipErr == nil {
		lp := p
		lp.AllowLoopback = p.AllowLoopback || (allowHTTP && loopback)
		if !lp.Allowed(ip) {
			return nil, errors.New("the url points at an address deliveries may not reach (private, link-local or reserved)")
		}
	}
	return u, nil
}

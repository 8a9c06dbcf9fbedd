# 20-ops.profile - written by pcaps/gen-policy.py: edit that, not this.

# selected by id prefix
profile batch {
    match id b47c0ffee
    egress  allow tcp 22 to host
    egress  allow tcp 9100 to profile metrics
    ingress deny  any from world
    default allow
}

# selectors on one line are ANDed
profile metrics {
    match namespace "monitoring" image "prom/*"
    ingress allow tcp 9100 from profile backend, 10.1.0.6, host # a profile of another file
    ingress deny  tcp 9100 from world
    egress  allow any to any
}

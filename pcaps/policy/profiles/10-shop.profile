# 10-shop.profile - written by pcaps/gen-policy.py: edit that, not this.

# the web tier: any match line selects (OR)
profile frontend {
    match name "web-*"
    match label tier=frontend image "shop/*"
    ingress allow tcp 80,443 from any
    egress  deny  tcp 8081 to profile backend                # shadows the allow below
    egress  allow tcp 8080-8089 to profile backend
    egress  allow udp 53 to label k8s-app=kube-*
    egress  allow tcp 8443 to dns "*.stripe.com"
    egress  allow tcp 8443 to dns "www.example.org", dns "shop.example.org" # through CNAMEs
    egress  allow tcp 8443 to dns "API.Example.NET"          # names are case-insensitive
    egress  deny  tcp 8444 to dns "*.bad.example"            # a dns peer that denies
    egress  deny  any to 169.254.169.254                     # before the world allowances
    egress  allow any 443 to world                           # ports: never ICMP
    egress  allow icmp to world
    egress  allow tcp 9000 to 2001:db8:ff::/48
    default deny
}

# the API: no default line, so default deny
profile backend {
    match label app=api
    ingress allow tcp 8080-8089 from profile frontend
    ingress allow tcp 9090 from container "batch-*"
    egress  allow tcp 5432 to container "db-*"
    egress  allow udp 53 to label k8s-app=kube-dns
    egress  allow any 1-1024,8443 to world                   # ports: never ICMP
    egress  allow tcp 6379 to 10.1.0.0/24
    egress  allow tcp 9100 to label app=metrics
}

# reached by the backend only; default allow for the rest of ingress
profile database {
    match image "postgres:*"
    ingress allow tcp 5432 from profile backend              # shadows the deny below
    ingress deny  tcp 5432 from any
    egress  deny  any to any
    default allow
}

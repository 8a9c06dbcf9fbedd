# profiles/demo.profile — the policy of the bundled demo capture
# (pcaps/demo.pcapng, a podman bridge 10.88.0.0/16 with a small shop).
# `make demo` reads the capture with it:
#     cnetmon read -I pcaps/demo-inventory.inventory.json -p profiles/demo.profile \
#                  pcaps/demo.pcapng
# and reports what the worker container does that it must not.

profile web {
    match name web
    ingress allow tcp 80,443 from world      # the shop's customers (published port)
    ingress allow icmp from host             # podman's health checks
    ingress allow icmpv6 from host           # neighbour discovery from the bridge
    egress  allow tcp 8080 to profile api
    egress  allow udp 53 to host             # aardvark-dns on the bridge address
    default deny
}

profile api {
    match label app=api image "shop/api:*"
    ingress allow tcp 8080 from profile web
    egress  allow tcp 5432 to profile db
    egress  allow tcp 6379 to container "redis*"
    egress  allow tcp 443 to dns "*.payments.example"   # the payment provider, by name
    egress  allow udp 53 to host
    default deny
}

profile db {
    match name db
    ingress allow tcp 5432 from profile api
    default deny
}

profile redis {
    match name "redis*"
    ingress allow tcp 6379 from label app=api
    default deny
}

profile worker {
    match name worker
    egress  deny  any to 169.254.169.254     # cloud metadata: credentials live there
    egress  allow udp 53 to host
    default deny
}

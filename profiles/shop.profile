# shop.profile — network profiles for a three-tier web shop:
#
#   internet ──> frontend (80/443) ──> backend API (8080-8089) ──> database (5432)
#                                           └──> payment ──> Stripe (443)
#
# Adapt the names, images and ports to your deployment, then check the whole
# directory (profile peers may name profiles of other files):
#
#     cnetmon check profiles/
#
# and with a saved inventory, to see that no container is selected twice:
#
#     cnetmon containers --json > inventory.json
#     cnetmon check -I inventory.json profiles/
#
# Language: cnetmon.profile(5). Within one direction the first matching rule
# decides; "default" decides the rest. A connection is a violation when the
# initiator's egress or the responder's ingress denies it.

# The public web tier: serves the internet, talks only to the backend API.
profile frontend {
    match name "shop-frontend-*"               # selectors on one line are ANDed,
    match label app=frontend image "shop/*"    # several match lines are ORed

    ingress allow tcp 80,443 from any
    ingress allow icmp from host               # the node's health checks and ping

    egress  allow tcp 8080-8089 to profile backend
    egress  allow udp 53 to 10.96.0.10         # the cluster resolver
    egress  allow tcp 53 to 10.96.0.10         # DNS over TCP for large answers
    egress  deny  any to 169.254.169.254       # cloud metadata: never from a web tier
    default deny
}

# The API: reachable only from the frontend; reaches its database and payment.
profile backend {
    match name "shop-backend-*"
    match label app=backend image "shop/*"

    ingress allow tcp 8080-8089 from profile frontend
    ingress allow tcp 9090 from host           # metrics scraped by the node's agent

    egress  allow tcp 5432 to profile shop-db
    egress  allow tcp 8443 to profile payment
    egress  allow udp 53 to 10.96.0.10
    egress  allow tcp 53 to 10.96.0.10
    egress  deny  any to 169.254.169.254, fd00:ec2::254    # metadata, v4 and v6
    default deny
}

# Payment: called by the backend only; calls Stripe and nothing else on the
# internet. "dns" peers are the addresses that DNS answers seen on the wire
# gave for a matching name, within their TTL.
profile payment {
    match label app=payment
    match name "shop-payment-*" image "shop/payment:*"

    ingress allow tcp 8443 from profile backend

    egress  deny  any to 169.254.169.254, fd00:ec2::254    # before anything broader
    egress  allow tcp 443 to dns "*.stripe.com", dns "stripe.com"
    egress  allow udp 53 to 10.96.0.10
    egress  allow tcp 53 to 10.96.0.10
    default deny
}

# The database tier: only the backend connects, and it connects nowhere.
profile shop-db {
    match name "shop-db*" image "postgres:*"
    match label app=shop-db

    ingress allow tcp 5432 from profile backend
    ingress allow tcp 5432 from 10.20.0.0/24   # the DBA bastion subnet

    egress  allow udp 53 to 10.96.0.10
    egress  allow tcp 53 to 10.96.0.10
    default deny
}

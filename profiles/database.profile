# database.profile — a PostgreSQL server that only its application may
# reach, and that reaches nothing but DNS; plus the application's profile.
#
# Check it (with the rest of the directory):
#
#     cnetmon check profiles/
#
# Language: cnetmon.profile(5). A connection is allowed only when both the
# initiator's egress and the responder's ingress allow it, so the two
# profiles below state each side of the same 5432 connection.

profile orders-db {
    match name "orders-db*" image "postgres:*"
    match label app=orders-db

    # Only the orders application, named by its profile or by its label.
    ingress allow tcp 5432 from profile orders, label app=orders
    ingress allow icmp from host

    # No egress at all, except names through the cluster resolver.
    egress  allow udp 53 to 10.96.0.10
    egress  allow tcp 53 to 10.96.0.10
    default deny
}

# The application that owns the database.
profile orders {
    match label app=orders
    match name "orders-*" image "registry.example.com/orders:*"

    ingress allow tcp 8080 from any

    egress  allow tcp 5432 to profile orders-db
    egress  allow udp 53 to 10.96.0.10
    egress  allow tcp 53 to 10.96.0.10
    default deny
}

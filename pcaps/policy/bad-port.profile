# a port out of range
profile broken {
    match name "web-*"
    egress allow tcp 443,70000 to world
}

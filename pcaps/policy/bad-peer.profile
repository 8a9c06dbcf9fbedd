profile lonely {
    match name "web-*"
    # a profile peer that names no profile of the set
    ingress allow tcp 80 from profile nosuch
}

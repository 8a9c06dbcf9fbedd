# kube-namespace.profile — one profile for a whole Kubernetes namespace
# (team-a): its pods may talk freely among themselves, resolve names through
# kube-dns, reach the internet on HTTPS only, and never the cloud metadata
# service. Anything else in or out is a violation.
#
# Check it (with the rest of the directory):
#
#     cnetmon check profiles/
#
# Language: cnetmon.profile(5). Order matters: within one direction the first
# matching rule decides, so the metadata denial comes before "world".

profile team-a {
    match namespace team-a

    # Within the namespace: pods this profile selects, or carrying the
    # namespace label that kubelet puts on every container of a pod.
    ingress allow any from profile team-a, label io.kubernetes.pod.namespace=team-a
    # Health checks from the kubelet on this node.
    ingress allow tcp from host

    # Cloud metadata (AWS/GCP/Azure v4, AWS v6): credentials live there.
    egress  deny  any to 169.254.169.254, fd00:ec2::254

    egress  allow any to profile team-a, label io.kubernetes.pod.namespace=team-a

    # DNS to kube-dns: its service address and its pods (by their label).
    egress  allow udp 53 to 10.96.0.10, label k8s-app=kube-dns
    egress  allow tcp 53 to 10.96.0.10, label k8s-app=kube-dns

    # The internet, HTTPS only ("world": neither a container nor this host).
    egress  allow tcp 443 to world

    default deny
}

"""Mounted at /simulator/ only when WHATSAPP_SIMULATOR_ENABLED (config/urls.py)."""

from django.urls import path, re_path

from channels_whatsapp.simulator import graph, views

app_name = "whatsapp_simulator"

urlpatterns = [
    # The phone: pages and forms for admins only (access.py).
    path("", views.phone, name="phone"),
    path("conversation/", views.conversation, name="conversation"),
    path("send/", views.send_message, name="send"),
    path("react/", views.send_reaction, name="react"),
    path("location/", views.send_location, name="location"),
    path("contacts/", views.contact_create, name="contact-create"),
    path("faults/", views.fault_create, name="fault-create"),
    path("faults/clear/", views.faults_clear, name="faults-clear"),
    # The Graph API (Bearer token), as `WHATSAPP_GRAPH_URL=<site>/simulator/graph/v23.0`.
    path("graph/<str:version>/<str:phone_number_id>/messages", graph.messages, name="graph-messages"),
    path("graph/<str:version>/<str:phone_number_id>/media", graph.media_upload, name="graph-media"),
    path("graph/<str:version>/<str:waba_id>/message_templates", graph.message_templates, name="graph-templates"),
    path("graph/<str:version>/<str:node_id>", graph.node, name="graph-node"),
    re_path(r"^graph/(?P<version>[^/]+)/(?P<rest>.*)$", graph.unknown_path, name="graph-unknown"),
    # Meta's "lookaside" download URL.
    path("media/<str:media_id>/download", graph.media_download, name="media-download"),
]

"""API adapters: parse the request, call one service (or selector), shape the answer.

Visibility comes from the selectors: a ticket the caller may not see is a 404, as if it did not exist.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import selectors, services
from tickets.api import serializers as s
from tickets.api.filters import ContactFilter, EventFilter, TicketFilter
from tickets.contacts import contact_create, contact_update
from tickets.models import Comment, Contact, Event, Ticket
from tickets.services import NewComment

ID_REGEX = r"\d+"
TICKET_ID_PARAMETER = OpenApiParameter(
    "ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("Ticket id.")
)


def _new_comment(data: dict | None) -> NewComment | None:
    return NewComment(body=data["body"], public=data["public"]) if data else None


def visible_ticket_or_404(request: Request, ticket_id) -> Ticket:
    """The ticket if the caller may see it; for other apps' ticket-scoped endpoints (e.g. applying a macro)."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=int(ticket_id))
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


# --- Tickets ----------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List tickets"),
        description=gettext_lazy(
            "Tickets the caller may see, most recently updated first; with `q`, best match first. `count` stops at"
            " 1,000 (a larger result still reports 1000, and `next` keeps paging). A search (`q`) answers at most the"
            " 1,001 most recently updated matching tickets, ranked among themselves, as Zendesk's search stops at"
            " 1,000 results: narrow the words or add filters to reach older tickets."
        ),
    ),
    retrieve=extend_schema(summary=gettext_lazy("Show a ticket")),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TicketOutputSerializer
    filterset_class = TicketFilter
    lookup_value_regex = ID_REGEX
    queryset = Ticket.objects.none()  # for the schema generator; requests use the selectors

    def get_queryset(self) -> QuerySet[Ticket]:
        # The rows' custom field values in one query (the pages read them elsewhere).
        return selectors.with_collaborators(selectors.ticket_list(user=self.request.user)).prefetch_related(
            "custom_field_values"
        )

    def get_object(self) -> Ticket:
        return visible_ticket_or_404(self.request, self.kwargs[self.lookup_field])

    @extend_schema(
        summary=gettext_lazy("Create a ticket"),
        description=gettext_lazy("Makes a `via: api` ticket; the caller is the author of the optional first comment."),
        request=s.TicketCreateInputSerializer,
        responses={201: s.TicketOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = s.TicketCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_create(
            requester=data["requester_id"],
            subject=data["subject"],
            via="api",
            actor=request.user,
            comment=_new_comment(data.get("comment")),
            priority=data.get("priority"),
            type=data.get("type"),
            tags=data.get("tags", ()),
            assignee=data.get("assignee_id"),
            group=data.get("group_id"),
            source="api",
            custom_field_values=data.get("custom_fields"),
        )
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Update a ticket"),
        description=gettext_lazy(
            "Changes only the keys sent. `tags` replaces the tags; `comment` adds a reply or note."
        ),
        request=s.TicketUpdateInputSerializer,
        responses={200: s.TicketOutputSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        ticket = self.get_object()
        serializer = s.TicketUpdateInputSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_update(
            ticket=ticket,
            actor=request.user,
            changes=serializer.to_changes(),
            comment=_new_comment(serializer.validated_data.get("comment")),
            source="api",
            via="api",
        )
        return Response(self.get_serializer(ticket).data)


class TicketScopedMixin:
    """Endpoints under `/api/tickets/{ticket_id}/`: the ticket must be visible to the caller."""

    kwargs: dict
    request: Request

    queryset: QuerySet

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no ticket id
            return self.queryset
        return self.ticket_queryset()

    def ticket_queryset(self) -> QuerySet:
        raise NotImplementedError

    @property
    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            # One query: these endpoints need neither the ticket's tags nor its related rows.
            ticket = selectors.tickets_visible(user=self.request.user).filter(pk=int(self.kwargs["ticket_id"])).first()
            if ticket is None:
                raise NotFound(_("No such ticket."))
            self._ticket = ticket
        return self._ticket


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List a ticket's comments"),
        description=gettext_lazy("The conversation, oldest first."),
        parameters=[TICKET_ID_PARAMETER],
    ),
)
class TicketCommentViewSet(TicketScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CommentOutputSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Comment.objects.none()

    def ticket_queryset(self) -> QuerySet[Comment]:
        return selectors.ticket_comments(ticket=self.ticket)

    @extend_schema(
        summary=gettext_lazy("Add a comment"),
        description=gettext_lazy(
            "A public reply or an internal note by the caller; files go as multipart `attachments`."
        ),
        parameters=[TICKET_ID_PARAMETER],
        request={
            "application/json": s.CommentCreateInputSerializer,
            "multipart/form-data": s.CommentCreateInputSerializer,
        },
        responses={201: s.CommentOutputSerializer},
    )
    def create(self, request: Request, ticket_id=None) -> Response:
        serializer = s.CommentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.comment_add(
            ticket=self.ticket,
            author=request.user,
            body=data["body"],
            public=data["public"],
            attachments=data["attachments"],
            via="api",
            source="api",
        )
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List a ticket's events"),
        description=gettext_lazy("The audit log, oldest first."),
        parameters=[TICKET_ID_PARAMETER],
    ),
)
class TicketEventViewSet(TicketScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EventOutputSerializer
    filterset_class = EventFilter
    queryset = Event.objects.none()

    def ticket_queryset(self) -> QuerySet[Event]:
        return selectors.ticket_events(ticket=self.ticket)


# --- Contacts ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List contacts")),
    retrieve=extend_schema(summary=gettext_lazy("Show a contact")),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ContactOutputSerializer
    filterset_class = ContactFilter
    lookup_value_regex = ID_REGEX
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        # Only contacts the caller may see: any other id is a 404, for reading and for PATCH.
        return selectors.contact_list(user=self.request.user)

    @extend_schema(
        summary=gettext_lazy("Create a contact"),
        description=gettext_lazy("`wa_id`, `whatsapp_user_id` and the opt-in record are read-only (400 when sent)."),
        request=s.ContactCreateInputSerializer,
        responses={201: s.ContactOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = s.ContactCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = contact_create(created_by=request.user, opt_in_source="api", **serializer.validated_data)
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Update a contact"),
        description=gettext_lazy("`wa_id`, `whatsapp_user_id` and the opt-in record are read-only (400 when sent)."),
        request=s.ContactUpdateInputSerializer,
        responses={200: s.ContactOutputSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        contact = self.get_object()
        serializer = s.ContactUpdateInputSerializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contact = contact_update(contact=contact, actor=request.user, opt_in_source="api", **serializer.validated_data)
        return Response(self.get_serializer(contact).data)

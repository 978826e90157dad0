"""``POST /api/v1/sources/<id>/events/``: contact and agent events pushed by a CRM, chat or
e-mail platform, authenticated by the source's own token (``Authorization: Bearer <token>``),
not by a user. Deny by default: no token is 401, a wrong token or a source that takes no pushes
is 404 (the same answer, so a caller learns nothing about which sources exist). The body is
one event object or a list of at most ``MAX_PUSH_EVENTS``, at most ``MAX_PUSH_BYTES``; each
value is held to the shared bounds (``measurements/ingest/bounds.py``). Accepted events are
written to the source's event file, which the follower loads like any followed file."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services.follow import MAX_PUSH_EVENTS, events_push, follow_for_token

#: Largest push body (bytes).
MAX_PUSH_BYTES = 1 << 20


class SourceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` of the source in the URL; ``request.auth`` is its
    follow. Any other scheme or an empty header: unauthenticated (401)."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Authorization: Bearer <token of this source>.")
        source_id = request.parser_context["kwargs"].get("source_id")
        follow = follow_for_token(source_id, header[1].decode("latin-1"))
        if follow is None:
            raise NotFound("No such source taking events.")
        return None, follow

    def authenticate_header(self, request):
        return 'Bearer realm="source events"'


class HasSourceToken(BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None


class SourceEventsView(APIView):
    authentication_classes = [SourceTokenAuthentication]
    permission_classes = [HasSourceToken]
    parser_classes = [JSONParser]
    throttle_classes = []

    @extend_schema(request={"application/json": dict}, responses={
        202: OpenApiResponse(description="{accepted: n}"),
        400: OpenApiResponse(description="{errors: [{index, field, reason}]}; nothing kept"),
        401: OpenApiResponse(description="no token"),
        404: OpenApiResponse(description="wrong token or no such source"),
        413: OpenApiResponse(description="body too large")})
    def post(self, request, source_id):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_PUSH_BYTES:
            return Response({"detail": f"at most {MAX_PUSH_BYTES:,} bytes per push"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        accepted, problems = events_push(request.auth, request.data)
        if problems:
            return Response({"accepted": 0, "errors": [
                {"index": i, "field": f, "reason": r} for i, f, r in problems[:100]],
                "max_events": MAX_PUSH_EVENTS}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"accepted": accepted}, status=status.HTTP_202_ACCEPTED)

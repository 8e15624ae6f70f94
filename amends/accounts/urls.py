from django.urls import include, path

from amends.accounts import views

account_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout, name="logout"),
    path("teams/", views.team_admin, name="team_admin"),
    path("teams/members/", views.set_membership, name="set_membership"),
    path("teams/members/remove/", views.remove_membership, name="remove_membership"),
    path("users/new/", views.create_user, name="create_user"),
    path("users/<int:user_id>/admin/", views.set_admin, name="set_admin"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
]

# settings.LOGIN_URL and LOGOUT_REDIRECT_URL are the bare name "login", which Django's
# login_required and LogoutView reverse without a namespace; so the sign-in page is
# also named "login" at the top level, and everything else lives in "accounts:".
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("", include((account_patterns, "accounts"))),
]

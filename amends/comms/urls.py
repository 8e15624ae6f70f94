from django.urls import path

app_name = "comms"
urlpatterns: list = []

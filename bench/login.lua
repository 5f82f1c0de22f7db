-- wrk: POST /v1/auth/login with the benchmark account.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@example.com","password":"benchmark password"}'

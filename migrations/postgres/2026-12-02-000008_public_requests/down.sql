DROP TABLE public_requests;

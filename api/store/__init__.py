"""Storage operations the routes and the job runner share; routes stay thin."""

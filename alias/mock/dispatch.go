package mock

import (
	"net/http"

	"github.com/aliasd/aliasd/alias"
)

// call is one routed API request.
type call struct {
	e    *alias.Endpoint
	path map[string]string // path parameters
	in   *input
	body []byte
}

// handlerFunc answers one endpoint. It runs with Server.mu held (read
// lock for GETs, write lock otherwise) and returns a value to encode, or
// an error.
type handlerFunc func(s *Server, c *call) (any, *apiError)

// handlers maps catalog operation names to their implementations; a test
// checks that every alias.Endpoints entry has one.
var handlers = map[string]handlerFunc{
	"Test":                    (*Server).handleTest,
	"SearchCatalog":           (*Server).handleSearchCatalog,
	"GetCatalogItem":          (*Server).handleGetCatalogItem,
	"ListAvailabilities":      (*Server).handleListAvailabilities,
	"GetAvailability":         (*Server).handleGetAvailability,
	"GetOfferHistogram":       (*Server).handleGetOfferHistogram,
	"ListRecentSales":         (*Server).handleListRecentSales,
	"SearchListings":          (*Server).handleSearchListings,
	"CreateListing":           (*Server).handleCreateListing,
	"GetListing":              (*Server).handleGetListing,
	"UpdateListing":           (*Server).handleUpdateListing,
	"DeleteListing":           (*Server).handleDeleteListing,
	"ActivateListing":         (*Server).handleActivateListing,
	"DeactivateListing":       (*Server).handleDeactivateListing,
	"CreateListingMetadata":   (*Server).handleCreateListingMetadata,
	"DeleteListingMetadata":   (*Server).handleDeleteListingMetadata,
	"CreatePicture":           (*Server).handleCreatePicture,
	"DeletePicture":           (*Server).handleDeletePicture,
	"SearchOrders":            (*Server).handleSearchOrders,
	"GetOrder":                (*Server).handleGetOrder,
	"CancelOrder":             (*Server).handleCancelOrder,
	"ConfirmOrder":            (*Server).handleConfirmOrder,
	"GenerateLabel":           (*Server).handleGenerateLabel,
	"RegenerateLabel":         (*Server).handleRegenerateLabel,
	"ShipOrder":               (*Server).handleShipOrder,
	"ListBatches":             (*Server).handleListBatches,
	"GetBatch":                (*Server).handleGetBatch,
	"BatchActivateListings":   (*Server).handleBatchActivate,
	"BatchCreateListings":     (*Server).handleBatchCreate,
	"BatchDeactivateListings": (*Server).handleBatchDeactivate,
	"BatchDeleteListings":     (*Server).handleBatchDelete,
	"GetBatchOperationQuota":  (*Server).handleQuota,
	"GetBatchOperations":      (*Server).handleGetBatchOperations,
	"BatchUpdateListings":     (*Server).handleBatchUpdate,
}

func (s *Server) dispatch(e *alias.Endpoint, path map[string]string, r *http.Request, body []byte) reply {
	in, aerr := parseInput(e, r, body)
	if aerr != nil {
		return errorReply(aerr)
	}
	h := handlers[e.Name]
	if h == nil {
		return errorReply(newError(codeUnimplemented, "mock: %s is not implemented", e.Name))
	}
	c := &call{e: e, path: path, in: in, body: body}
	if e.Method == http.MethodGet {
		s.mu.RLock()
		defer s.mu.RUnlock()
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	v, aerr := h(s, c)
	if aerr != nil {
		return errorReply(aerr)
	}
	return jsonReply(http.StatusOK, mustJSON(v))
}
